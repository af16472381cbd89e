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

// The audit log's actions for the console's look-ups and printed cards (the changes use the
// names in audit.go).
const (
	AuditPersonFind = "person.find" // a look-up of a person: what was typed, masked, and whether it found them
	AuditCodePrint  = "code.print"  // a printed code issued for a card
)

// FindPersonByPhone finds the person of the 吉事办 account of a mobile number: HQ keeps phones
// only as its keyed hash, so the number typed is hashed the same way and matched.
func (s *Server) FindPersonByPhone(ctx context.Context, phone string) (PersonView, error) {
	ph, err := checkpoint.ParsePhone(phone)
	if err != nil {
		return PersonView{}, fmt.Errorf("%w: %w", errInput, err)
	}
	hk, err := s.personHashKey(ctx)
	if err != nil {
		return PersonView{}, fmt.Errorf("hq: find person: %w", err)
	}
	c, err := s.db.CitizenByPhoneHash(ctx, keyedHash(hk, ph.Full()))
	if err == nil {
		var p sqldb.Person
		if p, err = s.db.PersonByIDHash(ctx, c.IDHash); err == nil {
			return personView(p), nil
		}
	}
	if errors.Is(err, sqldb.ErrNotFound) {
		return PersonView{}, ErrPersonNotFound // no account, or an account never issued a code
	}
	return PersonView{}, fmt.Errorf("hq: find person: %w", err)
}

// Code states, as the console words them.
const (
	CodeValid   = "valid"
	CodeExpired = "expired"
	CodeRevoked = "revoked"
)

// CodeView is one code issued to a person, with its state now.
type CodeView struct {
	sqldb.Code
	State string // CodeValid, CodeExpired or CodeRevoked
}

// PersonHistory is what HQ holds of a person's codes and colours.
type PersonHistory struct {
	Codes      []CodeView           // the newest MaxHistoryCodes, newest first
	CodesTotal int64                // every code the person was issued
	Changes    []sqldb.StatusChange // the newest MaxHistoryChanges changes of colour, newest first
}

// How much of a person's history the console shows: a citizen's phone gets a live code every
// few minutes while its page is open, so the list is the newest only.
const (
	MaxHistoryCodes   = 50
	MaxHistoryChanges = 50
)

// History returns the person personID's codes and changes of colour, newest first.
func (s *Server) History(ctx context.Context, personID string) (PersonHistory, error) {
	codes, total, err := s.db.CodesOf(ctx, personID, MaxHistoryCodes)
	if err != nil {
		return PersonHistory{}, fmt.Errorf("hq: history: %w", err)
	}
	changes, err := s.db.StatusChanges(ctx, personID, MaxHistoryChanges)
	if err != nil {
		return PersonHistory{}, fmt.Errorf("hq: history: %w", err)
	}
	now := s.now()
	h := PersonHistory{CodesTotal: total, Changes: changes}
	for _, c := range codes {
		st := CodeValid
		switch {
		case c.Revoked:
			st = CodeRevoked
		case !now.Before(c.ExpiresAt):
			st = CodeExpired
		}
		h.Codes = append(h.Codes, CodeView{Code: c, State: st})
	}
	return h, nil
}

// PrintedCode is a printed code just issued, with what its card shows.
type PrintedCode struct {
	PersonID   string
	CodeID     string
	Code       string // the text of the QR
	Status     checkpoint.Status
	Reason     string
	NameMasked string
	IDMasked   string
	Household  string
	IssuedAt   time.Time
	ExpiresAt  time.Time
}

// IssuePrinted issues a printed code (checkpoint.KindPrinted, valid for the kind's 7 days) to
// the person personID, through the same path as POST /api/v1/codes: the colour it carries is
// the person's when the code is recorded. HQ keeps no full ID number, and the code carries only
// the masked one, so the person's record is enough.
func (s *Server) IssuePrinted(ctx context.Context, personID string) (PrintedCode, error) {
	p, err := s.db.Person(ctx, personID)
	if errors.Is(err, sqldb.ErrNotFound) {
		return PrintedCode{}, ErrPersonNotFound
	}
	if err != nil {
		return PrintedCode{}, fmt.Errorf("hq: issue printed code: %w", err)
	}
	if p.HolderID == "" {
		p.HolderID = checkpoint.NewHolderID() // a person from before holder ids gets one now
	}
	p, code, text, err := s.issueFor(ctx, p, "", p.Name, checkpoint.KindPrinted, s.now())
	if err != nil {
		return PrintedCode{}, err
	}
	return PrintedCode{PersonID: p.ID, CodeID: code.ID, Code: text, Status: checkpoint.Status(code.Status), Reason: p.Reason,
		NameMasked: checkpoint.MaskName(p.Name), IDMasked: p.IDMasked, Household: p.Household, IssuedAt: code.IssuedAt, ExpiresAt: code.ExpiresAt}, nil
}

// ErrNoIssuingKey is returned by IssuePrinted when HQ has no key valid now.
var ErrNoIssuingKey = errNoKey
