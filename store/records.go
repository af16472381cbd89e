package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/sealbox"
)

// Size limits on text the store accepts, in characters (runes). Longer input is rejected with
// an error wrapping ErrInvalid that names the field, never truncated silently.
const (
	MaxRemarks   = 500 // remarks on a check or registration, a staff event's detail
	MaxName      = 64  // a name, masked or not
	MaxShortText = 64  // code ids, key ids, verdicts, reason codes, statuses, event names
	MaxReasons   = 32  // reason codes on one verdict
	maxIDNumber  = 32  // an ID number, masked or not (18 characters in practice)
	maxPhone     = 32  // a phone number, masked or not
	// maxTempTenths is the largest reading checkpoint.ParseCelsius accepts (999.9 °C): an
	// implausible reading is still recorded, with its refer verdict, never refused and lost.
	maxTempTenths = 9999
)

// Meta is who made a record, where and when. Empty DeviceID and SiteID are filled from the
// enrolled Device; a zero At means "now" by the store's clock.
type Meta struct {
	DeviceID string
	SiteID   string
	StaffID  string
	At       time.Time
}

// SaveCheck stores a check and queues it for HQ, in one transaction, and returns its id.
// p holds whatever full personal data the kiosk has for the person (often none for a scanned
// code); the store seals it to HQ's key and the record's id itself, overwriting c.Sealed. With
// no seal key known yet (kiosk never synced), full values are not kept at all: only the masked
// values. c.HolderID (the code's holder pseudonym) links the entry for LastCheckOf.
func (db *DB) SaveCheck(ctx context.Context, m Meta, c checkpoint.Check, p checkpoint.Personal) (string, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("store: save check: %w", err)
	}
	defer tx.Rollback()
	id, err := db.saveCheck(ctx, tx, m, c, p)
	if err != nil {
		return "", fmt.Errorf("store: save check: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("store: save check: %w", err)
	}
	return id, nil
}

func (db *DB) saveCheck(ctx context.Context, tx *sql.Tx, m Meta, c checkpoint.Check, p checkpoint.Personal) (string, error) {
	m, err := db.resolveMeta(ctx, tx, m)
	if err != nil {
		return "", err
	}
	id, err := newRecordID()
	if err != nil {
		return "", err
	}
	if err := validateCheck(c); err != nil {
		return "", err
	}
	if err := validatePersonal(p); err != nil {
		return "", err
	}
	if c.ScannedAt.IsZero() {
		c.ScannedAt = m.At
	}
	if c.ConfirmedAt.IsZero() {
		c.ConfirmedAt = m.At
	}
	c.ScannedAt, c.ConfirmedAt = c.ScannedAt.UTC(), c.ConfirmedAt.UTC()
	if c.Reasons == nil {
		c.Reasons = []string{}
	}
	if c.NameMasked == "" && p.Name != "" {
		c.NameMasked = checkpoint.MaskName(p.Name)
	}
	if c.IDMasked == "" && p.ID != "" {
		c.IDMasked = maskID(p.ID)
	}
	if c.Sealed, err = db.seal(ctx, tx, id, p); err != nil {
		return "", err
	}
	rec, err := db.enqueue(ctx, tx, id, checkpoint.KindCheck, m, c)
	if err != nil {
		return "", err
	}
	e := LogEntry{
		ID: rec.ID, Kind: checkpoint.KindCheck, At: c.ConfirmedAt, SiteID: m.SiteID, StaffID: m.StaffID,
		Verdict: c.Verdict, Reasons: c.Reasons, NameMasked: c.NameMasked, IDMasked: c.IDMasked,
		Household: c.Household, CodeStatus: c.CodeStatus, TempTenths: c.TempTenths, Remarks: c.Remarks,
	}
	if err := insertEntry(ctx, tx, e, c.CodeID, c.HolderID); err != nil {
		return "", err
	}
	return rec.ID, nil
}

// SaveRegistration stores an assisted registration (辅助登记) and queues it for HQ. The masked
// name, ID and phone and the household region are derived from p when r leaves them empty;
// sealing works as in SaveCheck. A registration carries no hash of the ID number: HQ opens the
// sealed data and links the person.
func (db *DB) SaveRegistration(ctx context.Context, m Meta, r checkpoint.Registration, p checkpoint.Personal) (string, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("store: save registration: %w", err)
	}
	defer tx.Rollback()
	id, err := db.saveRegistration(ctx, tx, m, r, p)
	if err != nil {
		return "", fmt.Errorf("store: save registration: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("store: save registration: %w", err)
	}
	return id, nil
}

func (db *DB) saveRegistration(ctx context.Context, tx *sql.Tx, m Meta, r checkpoint.Registration, p checkpoint.Personal) (string, error) {
	m, err := db.resolveMeta(ctx, tx, m)
	if err != nil {
		return "", err
	}
	id, err := newRecordID()
	if err != nil {
		return "", err
	}
	if err := validateRegistration(r); err != nil {
		return "", err
	}
	if err := validatePersonal(p); err != nil {
		return "", err
	}
	if r.RegisteredAt.IsZero() {
		r.RegisteredAt = m.At
	}
	r.RegisteredAt = r.RegisteredAt.UTC()
	if r.Reasons == nil {
		r.Reasons = []string{}
	}
	if r.NameMasked == "" {
		r.NameMasked = checkpoint.MaskName(p.Name)
	}
	if r.IDMasked == "" {
		r.IDMasked = maskID(p.ID)
	}
	if r.PhoneMasked == "" {
		r.PhoneMasked = maskPhone(p.Phone)
	}
	if r.Household == "" {
		if rid, err := checkpoint.ParseResidentID(p.ID); err == nil {
			r.Household = rid.Region()
		}
	}
	if r.Sealed, err = db.seal(ctx, tx, id, p); err != nil {
		return "", err
	}
	rec, err := db.enqueue(ctx, tx, id, checkpoint.KindRegistration, m, r)
	if err != nil {
		return "", err
	}
	e := LogEntry{
		ID: rec.ID, Kind: checkpoint.KindRegistration, At: r.RegisteredAt, SiteID: m.SiteID, StaffID: m.StaffID,
		Verdict: r.Verdict, Reasons: r.Reasons, NameMasked: r.NameMasked, IDMasked: r.IDMasked,
		PhoneMasked: r.PhoneMasked, Household: r.Household, TempTenths: r.TempTenths, Remarks: r.Remarks,
	}
	if err := insertEntry(ctx, tx, e, "", ""); err != nil {
		return "", err
	}
	return rec.ID, nil
}

// SaveSiteEdit stores a site a supervisor added or edited, queues it for HQ and applies it to
// the local site list at once, so the supervisor sees the edit; the next "sites" dataset from
// HQ replaces the local copy.
func (db *DB) SaveSiteEdit(ctx context.Context, m Meta, e checkpoint.SiteEdit) (string, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("store: save site edit: %w", err)
	}
	defer tx.Rollback()
	id, err := db.saveSiteEdit(ctx, tx, m, e)
	if err != nil {
		return "", fmt.Errorf("store: save site edit: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("store: save site edit: %w", err)
	}
	return id, nil
}

func (db *DB) saveSiteEdit(ctx context.Context, tx *sql.Tx, m Meta, e checkpoint.SiteEdit) (string, error) {
	m, err := db.resolveMeta(ctx, tx, m)
	if err != nil {
		return "", err
	}
	if e.Site.UpdatedAt.IsZero() {
		e.Site.UpdatedAt = m.At
	}
	e.Site.UpdatedAt = e.Site.UpdatedAt.UTC()
	if err := e.Site.Validate(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := validateText("division", e.Site.Division, 12); err != nil {
		return "", err
	}
	id, err := newRecordID()
	if err != nil {
		return "", err
	}
	rec, err := db.enqueue(ctx, tx, id, checkpoint.KindSiteEdit, m, e)
	if err != nil {
		return "", err
	}
	if err := upsertSite(ctx, tx, e.Site, rec.ID); err != nil {
		return "", err
	}
	return rec.ID, nil
}

// SaveStaffAdd stores scanner staff added by a supervisor, queues it for HQ and adds the
// account to the local roster at once, so the new staff member can log in before the next sync.
// p is the new staff member's phone and name: the store seals them to HQ's key and the record's
// id (a.Sealed), and keeps nothing else of them. It fails with ErrNoSealKey before the first
// settings dataset, since HQ could not make the account without the phone.
func (db *DB) SaveStaffAdd(ctx context.Context, m Meta, a checkpoint.StaffAdd, p checkpoint.Personal) (string, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("store: save staff add: %w", err)
	}
	defer tx.Rollback()
	id, err := db.saveStaffAdd(ctx, tx, m, a, p)
	if err != nil {
		return "", fmt.Errorf("store: save staff add: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("store: save staff add: %w", err)
	}
	return id, nil
}

func (db *DB) saveStaffAdd(ctx context.Context, tx *sql.Tx, m Meta, a checkpoint.StaffAdd, p checkpoint.Personal) (string, error) {
	m, err := db.resolveMeta(ctx, tx, m)
	if err != nil {
		return "", err
	}
	id, err := newRecordID()
	if err != nil {
		return "", err
	}
	if a.Staff.UpdatedAt.IsZero() {
		a.Staff.UpdatedAt = m.At
	}
	a.Staff.UpdatedAt = a.Staff.UpdatedAt.UTC()
	if err := a.Staff.Validate(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := validateText("name_masked", a.Staff.NameMasked, MaxName); err != nil {
		return "", err
	}
	if err := validatePersonal(p); err != nil {
		return "", err
	}
	if p.Phone == "" {
		return "", fmt.Errorf("%w: the new staff member's phone is required", ErrInvalid)
	}
	if a.Sealed, err = db.seal(ctx, tx, id, p); err != nil {
		return "", err
	}
	if a.Sealed == "" {
		return "", ErrNoSealKey
	}
	rec, err := db.enqueue(ctx, tx, id, checkpoint.KindStaffAdd, m, a)
	if err != nil {
		return "", err
	}
	if err := upsertStaff(ctx, tx, a.Staff, rec.ID); err != nil {
		return "", err
	}
	return rec.ID, nil
}

// SaveStaffEvent stores a staff event (login, failed login, lockout, logout, local-stay
// confirmation) and queues it for HQ.
func (db *DB) SaveStaffEvent(ctx context.Context, m Meta, e checkpoint.StaffEvent) (string, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("store: save staff event: %w", err)
	}
	defer tx.Rollback()
	id, err := db.saveStaffEvent(ctx, tx, m, e)
	if err != nil {
		return "", fmt.Errorf("store: save staff event: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("store: save staff event: %w", err)
	}
	return id, nil
}

func (db *DB) saveStaffEvent(ctx context.Context, tx *sql.Tx, m Meta, e checkpoint.StaffEvent) (string, error) {
	m, err := db.resolveMeta(ctx, tx, m)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(e.Event) == "" {
		return "", fmt.Errorf("%w: event is required", ErrInvalid)
	}
	if err := validateText("event", e.Event, MaxShortText); err != nil {
		return "", err
	}
	if err := validateText("detail", e.Detail, MaxRemarks); err != nil {
		return "", err
	}
	if e.At.IsZero() {
		e.At = m.At
	}
	e.At = e.At.UTC()
	id, err := newRecordID()
	if err != nil {
		return "", err
	}
	rec, err := db.enqueue(ctx, tx, id, checkpoint.KindStaffEvent, m, e)
	if err != nil {
		return "", err
	}
	return rec.ID, nil
}

// resolveMeta fills the defaults of m from the clock and the enrolled device.
func (db *DB) resolveMeta(ctx context.Context, tx *sql.Tx, m Meta) (Meta, error) {
	if m.At.IsZero() {
		m.At = db.now()
	}
	m.At = m.At.UTC()
	if m.DeviceID == "" || m.SiteID == "" {
		d, err := getDevice(ctx, tx)
		if errors.Is(err, ErrNotFound) {
			return m, ErrNotEnrolled
		}
		if err != nil {
			return m, err
		}
		if m.DeviceID == "" {
			m.DeviceID = d.ID
		}
		if m.SiteID == "" {
			m.SiteID = d.SiteID
		}
	}
	return m, nil
}

// newRecordID makes a record's id (UUIDv7). A record's id exists before its body, because the
// personal data in the body is sealed to it.
func newRecordID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// enqueue builds the record envelope once (id from newRecordID, canonical JSON body) and puts
// the exact bytes in the outbox: a retry sends the same bytes, so HQ sees the same record.
func (db *DB) enqueue(ctx context.Context, tx *sql.Tx, id string, kind checkpoint.RecordKind, m Meta, body any) (checkpoint.Record, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return checkpoint.Record{}, err
	}
	rec := checkpoint.Record{
		ID: id, Kind: kind, DeviceID: m.DeviceID, SiteID: m.SiteID, StaffID: m.StaffID,
		CreatedAt: m.At, Body: b,
	}
	if err := rec.Validate(); err != nil {
		return rec, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	env, err := json.Marshal(rec)
	if err != nil {
		return rec, err
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO outbox (id, kind, created_at, envelope) VALUES (?, ?, ?, ?)`,
		rec.ID, string(kind), ms(m.At), env)
	if err != nil {
		return rec, fmt.Errorf("outbox: %w", err)
	}
	db.log.DebugContext(ctx, "store: record queued", slog.String("id", rec.ID), slog.String("kind", string(kind)), slog.Int("bytes", len(env)))
	return rec, nil
}

func insertEntry(ctx context.Context, tx *sql.Tx, e LogEntry, codeID, holderID string) error {
	reasons, err := json.Marshal(e.Reasons)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO entries
		(id, kind, at, site_id, staff_id, verdict, reasons, name_masked, id_masked, phone_masked,
		 household, code_status, temp_tenths, remarks, code_id, holder_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, string(e.Kind), ms(e.At), e.SiteID, e.StaffID, e.Verdict, string(reasons), e.NameMasked,
		e.IDMasked, e.PhoneMasked, e.Household, e.CodeStatus, e.TempTenths, e.Remarks,
		nullString(codeID), nullString(holderID))
	if err != nil {
		return fmt.Errorf("entries: %w", err)
	}
	return nil
}

// seal seals p to HQ's key and the record id, with the key from the settings dataset. A missing
// or unusable key means no sealed data: the record is saved regardless, with masked values only
// (ApplyDatasets refuses settings with bad keys, so an unusable key here means a damaged file,
// and losing the check would be worse). Empty p seals to nothing.
func (db *DB) seal(ctx context.Context, tx *sql.Tx, recordID string, p checkpoint.Personal) (string, error) {
	if p == (checkpoint.Personal{}) {
		return "", nil
	}
	s, err := settings(ctx, tx)
	if err != nil {
		return "", err
	}
	if s.HQSealKey == "" {
		return "", nil
	}
	pub, err := sealbox.ParseKey(s.HQSealKey)
	var sealed string
	if err == nil {
		sealed, err = sealbox.Seal(pub, recordID, p)
	}
	if err != nil {
		db.log.ErrorContext(ctx, "store: cannot seal personal data; saving masked values only", slog.Any("error", err))
		return "", nil
	}
	return sealed, nil
}

func validateText(field, v string, max int) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, field)
	}
	if n := utf8.RuneCountInString(v); n > max {
		return fmt.Errorf("%w: %s has %d characters; at most %d allowed", ErrInvalid, field, n, max)
	}
	if !checkpoint.CleanText(v, field == "remarks" || field == "detail") {
		return fmt.Errorf("%w: %s contains control characters", ErrInvalid, field)
	}
	return nil
}

type field struct {
	name, v string
	max     int
}

func validateFields(fs []field) error {
	for _, f := range fs {
		if err := validateText(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	return nil
}

func validateVerdict(verdict string, reasons []string, temp int) error {
	if strings.TrimSpace(verdict) == "" {
		return fmt.Errorf("%w: verdict is required", ErrInvalid)
	}
	if len(reasons) > MaxReasons {
		return fmt.Errorf("%w: %d reasons; at most %d allowed", ErrInvalid, len(reasons), MaxReasons)
	}
	for _, r := range reasons {
		if err := validateText("reason", r, MaxShortText); err != nil {
			return err
		}
	}
	if temp < 0 || temp > maxTempTenths {
		return fmt.Errorf("%w: temperature %d tenths out of range", ErrInvalid, temp)
	}
	return nil
}

func validateCheck(c checkpoint.Check) error {
	if err := validateVerdict(c.Verdict, c.Reasons, c.TempTenths); err != nil {
		return err
	}
	return validateFields([]field{
		{"code_id", c.CodeID, MaxShortText}, {"code_kind", c.CodeKind, MaxShortText}, {"kid", c.KeyID, MaxShortText},
		{"name_masked", c.NameMasked, MaxName}, {"id_masked", c.IDMasked, maxIDNumber},
		{"household", c.Household, 12}, {"code_status", c.CodeStatus, MaxShortText},
		{"code_error", c.CodeError, MaxShortText}, {"verdict", c.Verdict, MaxShortText},
		{"local_stay_by", c.LocalStayBy, MaxShortText}, {"remarks", c.Remarks, MaxRemarks},
		{"rules", c.VerdictRules, MaxShortText}, {"holder_id", c.HolderID, MaxShortText},
	})
}

func validateRegistration(r checkpoint.Registration) error {
	if err := validateVerdict(r.Verdict, r.Reasons, r.TempTenths); err != nil {
		return err
	}
	return validateFields([]field{
		{"name_masked", r.NameMasked, MaxName}, {"id_masked", r.IDMasked, maxIDNumber},
		{"phone_masked", r.PhoneMasked, maxPhone}, {"household", r.Household, 12},
		{"verdict", r.Verdict, MaxShortText}, {"remarks", r.Remarks, MaxRemarks},
	})
}

func validatePersonal(p checkpoint.Personal) error {
	return validateFields([]field{{"name", p.Name, MaxName}, {"id", p.ID, maxIDNumber}, {"phone", p.Phone, maxPhone}})
}

// maskID masks an ID number as checkpoint.ResidentID does; input that does not parse (a
// foreign document, a typo the staff confirmed) keeps at most its first 3 and last 2 characters.
func maskID(s string) string {
	if s == "" {
		return ""
	}
	if id, err := checkpoint.ParseResidentID(s); err == nil {
		return id.Masked()
	}
	rs := []rune(strings.TrimSpace(s))
	if len(rs) < 8 {
		return strings.Repeat("*", len(rs))
	}
	return string(rs[:3]) + strings.Repeat("*", len(rs)-5) + string(rs[len(rs)-2:])
}

// maskPhone masks a phone number as checkpoint.Phone does, or hides all but the last 2 digits.
func maskPhone(s string) string {
	if s == "" {
		return ""
	}
	if p, err := checkpoint.ParsePhone(s); err == nil {
		return p.Masked()
	}
	rs := []rune(strings.TrimSpace(s))
	if len(rs) < 4 {
		return strings.Repeat("*", len(rs))
	}
	return strings.Repeat("*", len(rs)-2) + string(rs[len(rs)-2:])
}
