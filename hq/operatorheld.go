package hq

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// ErrHeldMissing is returned by DecideHeld for a record that is not held (none, or decided).
var ErrHeldMissing = errors.New("hq: no such held record")

// MaxHeldNote bounds the note of a decision on a held record, in characters.
const MaxHeldNote = 200

// AuditHeldAccept and AuditHeldReject are the audit actions of decisions on held records.
const (
	AuditHeldAccept = "held.accept"
	AuditHeldReject = "held.reject"
)

// DecideHeld accepts (accept) or rejects a held record with the operator's note (required, at
// most MaxHeldNote characters, no control characters). Invalid input wraps ErrBadInput.
func (s *Server) DecideHeld(ctx context.Context, id string, accept bool, note, operator string) (sqldb.HeldDecision, error) {
	note = strings.TrimSpace(note)
	if id == "" || len(id) > checkpoint.MaxIDLen {
		return sqldb.HeldDecision{}, fmt.Errorf("%w: record id", errInput)
	}
	if note == "" || !utf8.ValidString(note) || utf8.RuneCountInString(note) > MaxHeldNote || strings.ContainsFunc(note, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return sqldb.HeldDecision{}, fmt.Errorf("%w: note", errInput)
	}
	decision := sqldb.HeldRejected
	if accept {
		decision = sqldb.HeldAccepted
	}
	if rules, err := s.rules(ctx); err == nil { // a rejection takes the record out of day_counts by the fever threshold in force
		ctx = sqldb.WithFeverThreshold(ctx, rules.FeverC)
	}
	d, err := s.db.DecideHeld(ctx, id, decision, note, operator, s.now().UTC())
	if errors.Is(err, sqldb.ErrNotFound) {
		return d, ErrHeldMissing
	}
	if err != nil {
		return d, fmt.Errorf("hq: decide held: %w", err)
	}
	return d, nil
}
