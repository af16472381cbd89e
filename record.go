package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// RecordKind names what a record holds. It travels on the wire and is stored by both sides.
type RecordKind string

// The kinds of record a kiosk produces.
const (
	KindCheck        RecordKind = "check"        // a scanned code and its verdict
	KindRegistration RecordKind = "registration" // an assisted registration (辅助登记)
	KindSiteEdit     RecordKind = "site_edit"    // a site added or edited by a supervisor (站点管理)
	KindStaffAdd     RecordKind = "staff_add"    // scanner staff added by a supervisor (添加扫码员)
	KindStaffEvent   RecordKind = "staff_event"  // login, failed login, lockout, local-stay confirmation
)

// Kinds lists every record kind, in a stable order.
var Kinds = []RecordKind{KindCheck, KindRegistration, KindSiteEdit, KindStaffAdd, KindStaffEvent}

// Valid reports whether k is one of the known kinds.
func (k RecordKind) Valid() bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Limits on what a record may carry; HQ and the kiosk enforce the same numbers.
const (
	MaxRecordBodyBytes = 16 << 10 // one record's body
	MaxIDLen           = 64       // record, device, site and staff ids
)

// Record is the envelope every kiosk record travels in, from the outbox to HQ. The Body is the
// kind-specific JSON (Check, Registration, SiteEdit, StaffAdd, StaffEvent) and is kept byte for
// byte: HQ stores exactly these bytes, and a record sent twice is the same record only if every
// field and every body byte is the same.
type Record struct {
	ID        string          `json:"id"` // UUIDv7 made on the kiosk
	Kind      RecordKind      `json:"kind"`
	DeviceID  string          `json:"device_id"`
	SiteID    string          `json:"site_id"`
	StaffID   string          `json:"staff_id"`
	CreatedAt time.Time       `json:"created_at"` // kiosk clock, UTC
	Body      json.RawMessage `json:"body"`
}

// ErrInvalidRecord is wrapped by Record.Validate.
var ErrInvalidRecord = errors.New("invalid record")

// Validate checks the envelope (not the body's meaning).
func (r Record) Validate() error {
	switch {
	case r.ID == "" || len(r.ID) > MaxIDLen:
		return fmt.Errorf("%w: id missing or longer than %d", ErrInvalidRecord, MaxIDLen)
	case !r.Kind.Valid():
		return fmt.Errorf("%w: unknown kind %q", ErrInvalidRecord, r.Kind)
	case r.DeviceID == "" || len(r.DeviceID) > MaxIDLen:
		return fmt.Errorf("%w: device_id missing or too long", ErrInvalidRecord)
	case r.SiteID == "" || len(r.SiteID) > MaxIDLen:
		return fmt.Errorf("%w: site_id missing or too long", ErrInvalidRecord)
	case len(r.StaffID) > MaxIDLen:
		return fmt.Errorf("%w: staff_id too long", ErrInvalidRecord)
	case !CleanText(r.ID, false) || !CleanText(r.DeviceID, false) || !CleanText(r.SiteID, false) || !CleanText(r.StaffID, false):
		return fmt.Errorf("%w: ids must not contain control characters", ErrInvalidRecord)
	case r.CreatedAt.IsZero():
		return fmt.Errorf("%w: created_at missing", ErrInvalidRecord)
	case len(r.Body) == 0 || len(r.Body) > MaxRecordBodyBytes:
		return fmt.Errorf("%w: body empty or larger than %d bytes", ErrInvalidRecord, MaxRecordBodyBytes)
	case !json.Valid(r.Body):
		return fmt.Errorf("%w: body is not JSON", ErrInvalidRecord)
	}
	return nil
}

// Check is the body of a KindCheck record: one person checked at a checkpoint.
// Personal data appears masked; the full values, when the kiosk has them, are in Sealed.
type Check struct {
	CodeID       string    `json:"code_id,omitempty"` // empty when the code did not verify
	CodeKind     string    `json:"code_kind,omitempty"`
	KeyID        string    `json:"kid,omitempty"`
	NameMasked   string    `json:"name_masked,omitempty"`
	IDMasked     string    `json:"id_masked,omitempty"`
	Household    string    `json:"household,omitempty"` // 6-digit division code
	CodeStatus   string    `json:"code_status,omitempty"`
	CodeError    string    `json:"code_error,omitempty"` // failure kind when the code did not verify
	Verdict      string    `json:"verdict"`
	Reasons      []string  `json:"reasons"`
	TempTenths   int       `json:"temp_tenths,omitempty"` // 36.6 °C → 366; 0 = not measured
	LocalStay    bool      `json:"local_stay,omitempty"`  // staff confirmed a month in the county
	LocalStayBy  string    `json:"local_stay_by,omitempty"`
	Online       bool      `json:"online"` // live status was confirmed with HQ at scan time
	ScannedAt    time.Time `json:"scanned_at"`
	ConfirmedAt  time.Time `json:"confirmed_at"`
	Sealed       string    `json:"sealed,omitempty"`    // base64 HPKE ciphertext of Personal, to HQ's key and this record's id
	HolderID     string    `json:"holder_id,omitempty"` // the code's holder pseudonym (Claims.HolderID)
	Remarks      string    `json:"remarks,omitempty"`
	VerdictRules string    `json:"rules,omitempty"` // version of the rules/config in force
}

// Registration is the body of a KindRegistration record (辅助登记): a person without a code,
// registered by staff at the kiosk. It carries no hash of the ID number: HQ opens Sealed and
// links the person itself (DESIGN §9).
type Registration struct {
	NameMasked   string    `json:"name_masked"`
	IDMasked     string    `json:"id_masked"`
	PhoneMasked  string    `json:"phone_masked"`
	Household    string    `json:"household"` // region of the resident ID
	SMSVerified  bool      `json:"sms_verified"`
	TempTenths   int       `json:"temp_tenths,omitempty"`
	Verdict      string    `json:"verdict"`
	Reasons      []string  `json:"reasons"`
	Remarks      string    `json:"remarks,omitempty"`
	Sealed       string    `json:"sealed"` // base64 HPKE ciphertext of Personal, to HQ's key and this record's id
	RegisteredAt time.Time `json:"registered_at"`
}

// Personal is what the kiosk seals to HQ's public key: the only place full ID numbers and phone
// numbers exist on a kiosk, and only as ciphertext.
type Personal struct {
	Name  string `json:"name,omitempty"`
	ID    string `json:"id,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// LogValue keeps personal data out of logs: only masked forms are ever printed.
func (p Personal) LogValue() slog.Value {
	id, phone := p.ID, p.Phone
	if r, err := ParseResidentID(id); err == nil {
		id = r.Masked()
	} else if id != "" {
		id = "***"
	}
	if ph, err := ParsePhone(phone); err == nil {
		phone = ph.Masked()
	} else if phone != "" {
		phone = "***"
	}
	return slog.GroupValue(slog.String("name", MaskName(p.Name)), slog.String("id", id), slog.String("phone", phone))
}

// String is the masked form, so fmt never prints the full values either.
func (p Personal) String() string { return p.LogValue().String() }

// EditBase names the version of a row (site or staff account) an edit was made from. HQ applies
// the edit only if the row is still at that version; otherwise it answers ResultSuperseded.
// BaseRecord, when set, is the kiosk's own earlier edit of the same row that HQ had not answered
// yet when this one was made: the edit applies only on top of what that record made. Otherwise
// BaseRevision is the row's Revision as the kiosk last had it from HQ, 0 for a new row.
type EditBase struct {
	BaseRevision int64  `json:"base_revision"`
	BaseRecord   string `json:"base_record,omitempty"`
}

// SiteEdit is the body of a KindSiteEdit record: the whole site as the supervisor saved it, and
// the version it was made from.
type SiteEdit struct {
	Site    Site `json:"site"`
	Created bool `json:"created"`
	EditBase
}

// StaffAdd is the body of a KindStaffAdd record: scanner staff added by a supervisor. Staff is
// the account as the kiosk keeps it until HQ's next roster (its PhoneLookup made by the kiosk);
// Sealed holds the new staff member's phone and name (Personal), sealed to HQ's key and this
// record's id, from which HQ makes the account's lookup value and its own phone index.
type StaffAdd struct {
	Staff  Staff  `json:"staff"`
	Sealed string `json:"sealed"`
	EditBase
}

// StaffEvent is the body of a KindStaffEvent record.
type StaffEvent struct {
	Event  string    `json:"event"` // login, login_failed, lockout, logout, local_stay_confirmed
	At     time.Time `json:"at"`
	Detail string    `json:"detail,omitempty"`
}
