package hq

import (
	"context"
	"errors"
	"fmt"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// What the operator console needs of people (the same rules as POST /api/v1/admin/people/status).

// ErrPersonNotFound is returned by FindPerson and SetPersonStatus for no such person.
var ErrPersonNotFound = errors.New("hq: no such person")

// ErrBadInput marks a failure caused by the caller's input (a malformed ID number, status or
// reason).
var ErrBadInput = errInput

// PersonView is a person as an operator sees them: masked name and ID number, no hashes.
type PersonView struct {
	ID         string    `json:"person_id"`
	NameMasked string    `json:"name_masked"`
	IDMasked   string    `json:"id_masked"`
	Household  string    `json:"household"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func personView(p sqldb.Person) PersonView {
	return PersonView{ID: p.ID, NameMasked: checkpoint.MaskName(p.Name), IDMasked: p.IDMasked, Household: p.Household,
		Status: p.Status, Reason: p.Reason, UpdatedAt: p.UpdatedAt}
}

// FindPerson finds a person by code id, person id or ID number (the first one given).
func (s *Server) FindPerson(ctx context.Context, codeID, personID, idNumber string) (PersonView, error) {
	p, err := s.findPerson(ctx, codeID, personID, idNumber)
	if errors.Is(err, sqldb.ErrNotFound) {
		return PersonView{}, ErrPersonNotFound
	}
	if err != nil {
		if idNumber != "" && codeID == "" && personID == "" {
			if _, perr := checkpoint.ParseResidentID(idNumber); perr != nil {
				return PersonView{}, fmt.Errorf("%w: %w", errInput, perr)
			}
		}
		return PersonView{}, fmt.Errorf("hq: find person: %w", err)
	}
	return personView(p), nil
}

// SetPersonStatus sets the colour of the person personID, revokes their unexpired codes of
// another colour and records the change as made by actor (an operator's name). It returns the
// person before and after, and how many codes it revoked.
func (s *Server) SetPersonStatus(ctx context.Context, personID, status, reason, actor string) (before, after PersonView, revoked int64, err error) {
	st, err := checkpoint.ParseStatus(status)
	if err != nil {
		return before, after, 0, fmt.Errorf("%w: %w", errInput, err)
	}
	if !checkpoint.ValidReason(reason) {
		return before, after, 0, fmt.Errorf("%w: reason: at most %d printable characters, no leading or trailing space", errInput, checkpoint.MaxReasonLen)
	}
	p, err := s.db.Person(ctx, personID)
	if errors.Is(err, sqldb.ErrNotFound) {
		return before, after, 0, ErrPersonNotFound
	}
	if err != nil {
		return before, after, 0, fmt.Errorf("hq: set person status: %w", err)
	}
	if revoked, err = s.db.SetPersonStatus(ctx, sqldb.StatusChange{PersonID: p.ID, Status: string(st), Reason: reason, At: s.now(), Actor: actor}); err != nil {
		return before, after, 0, fmt.Errorf("hq: set person status: %w", err)
	}
	before = personView(p)
	q, err := s.db.Person(ctx, p.ID)
	if err != nil {
		return before, after, revoked, fmt.Errorf("hq: set person status: %w", err)
	}
	return before, personView(q), revoked, nil
}
