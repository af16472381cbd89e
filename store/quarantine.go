package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// QuarantineLine is one line of a quarantine export (and of `kiosk quarantine list`): the
// record's place, HQ's reason and, in an export, the envelope byte for byte.
type QuarantineLine struct {
	ID            string                `json:"id"`
	Kind          checkpoint.RecordKind `json:"kind"`
	SiteID        string                `json:"site_id"`
	StaffID       string                `json:"staff_id"`
	CreatedAt     time.Time             `json:"created_at"`
	QuarantinedAt time.Time             `json:"quarantined_at"`
	Error         string                `json:"error"`   // HQ's status and code, e.g. "rejected: invalid_record"
	Message       string                `json:"message"` // HQ's words, Chinese first
	Record        *checkpoint.Record    `json:"record,omitempty"`
}

// Line is q as a QuarantineLine, with the envelope when withRecord.
func (q QuarantinedRecord) Line(withRecord bool) QuarantineLine {
	l := QuarantineLine{ID: q.ID, Kind: q.Kind, SiteID: q.SiteID, StaffID: q.StaffID, CreatedAt: q.CreatedAt.UTC(),
		QuarantinedAt: q.QuarantinedAt.UTC(), Error: q.Error, Message: q.Message}
	if withRecord {
		r := q.Record
		l.Record = &r
	}
	return l
}

// ExportQuarantined writes every quarantined record, envelope included, as JSON lines to path
// (mode 0600), replacing the file only once it is complete, and returns how many it wrote. The
// file holds what the outbox holds (masked values, sealed boxes): it is the copy a supervisor
// hands to HQ so that the kiosk is never the only one.
func (db *DB) ExportQuarantined(ctx context.Context, path string) (int, error) {
	recs, err := db.Quarantined(ctx)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, fmt.Errorf("store: export quarantined: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, fmt.Errorf("store: export quarantined: %w", err)
	}
	fail := func(err error) (int, error) {
		f.Close()
		os.Remove(tmp)
		return 0, fmt.Errorf("store: export quarantined: %w", err)
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, q := range recs {
		if err := enc.Encode(q.Line(true)); err != nil {
			return fail(err)
		}
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("store: export quarantined: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("store: export quarantined: %w", err)
	}
	return len(recs), nil
}
