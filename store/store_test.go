package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/sealbox"
)

var t0 = time.Date(2022, 4, 1, 8, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// openTest opens a fresh store in t.TempDir() with an enrolled device and a fixed clock.
func openTest(t testing.TB) (*DB, *clock) {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: t0}
	db, err := OpenDir(ctx, t.TempDir(), Options{Now: c.Now})
	if err != nil {
		t.Fatalf("OpenDir: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := db.SaveDevice(ctx, Device{ID: "dev-1", Secret: "s3cret-value", SiteID: "site-1", HQURL: "https://hq.example"}); err != nil {
		t.Fatalf("SaveDevice: %v", err)
	}
	return db, c
}

// keys puts a settings dataset with a fresh seal key and a staff salt and returns the HQ
// private key.
func keys(t testing.TB, db *DB, retentionDays int) (priv []byte) {
	t.Helper()
	pub, priv, err := sealbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s := checkpoint.Settings{
		HQSealKey:     base64.StdEncoding.EncodeToString(pub),
		StaffSalt:     base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")),
		RetentionDays: retentionDays,
	}
	b, _ := json.Marshal(s)
	cur, err := db.Cursors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Datasets never go backwards: the next version after whatever the kiosk holds.
	v := cur[checkpoint.DatasetSettings] + 1
	if err := db.ApplyDatasets(context.Background(), []checkpoint.Dataset{{Name: checkpoint.DatasetSettings, Version: v, Data: b}}); err != nil {
		t.Fatalf("ApplyDatasets(settings): %v", err)
	}
	return priv
}

func greenCheck() checkpoint.Check {
	return checkpoint.Check{
		CodeID: "code-1", CodeKind: "live", KeyID: "k1", NameMasked: "张*", IDMasked: "220221********123X",
		Household: "220221", CodeStatus: "green", Verdict: "pass", Reasons: []string{"green_code"}, TempTenths: 366,
	}
}

const (
	fullID    = "220221199001011233"
	fullPhone = "13800138000"
)

func TestOpenPragmasAndMigrations(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for i := range 2 { // the second open finds the schema in place
		db, err := OpenDir(ctx, dir)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		for _, tt := range []struct{ pragma, want string }{
			{"journal_mode", "wal"}, {"synchronous", "2"}, {"foreign_keys", "1"}, {"busy_timeout", "5000"}, {"secure_delete", "1"},
		} {
			var got string
			if err := db.w.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("writer PRAGMA %s = %q; want %q", tt.pragma, got, tt.want)
			}
		}
		var qo string
		if err := db.r.QueryRowContext(ctx, "PRAGMA query_only").Scan(&qo); err != nil || qo != "1" {
			t.Errorf("reader PRAGMA query_only = %q, %v; want 1", qo, err)
		}
		var v int
		files, _ := migrations.ReadDir("migrations")
		want := 0
		for _, f := range files {
			var n int
			fmt.Sscanf(f.Name(), "%d_", &n)
			want = max(want, n)
		}
		if err := db.r.QueryRowContext(ctx, "SELECT max(version_id) FROM goose_db_version").Scan(&v); err != nil || v != want {
			t.Errorf("goose version = %d, %v; want %d", v, err, want)
		}
		if err := db.IntegrityCheck(ctx); err != nil {
			t.Error(err)
		}
		db.Close()
	}
}

func TestSaveCheckQueuesExactEnvelope(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	at := t0.Add(time.Minute)
	id, err := db.SaveCheck(ctx, Meta{StaffID: "staff-1", At: at}, greenCheck(), checkpoint.Personal{})
	if err != nil {
		t.Fatalf("SaveCheck: %v", err)
	}
	u, err := uuid.Parse(id)
	if err != nil || u.Version() != 7 {
		t.Errorf("id %q: version %d, %v; want a UUIDv7", id, u.Version(), err)
	}
	recs, err := db.PendingBatch(ctx, 10, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("PendingBatch = %d records; want 1", len(recs))
	}
	r := recs[0]
	want := checkpoint.Record{ID: id, Kind: checkpoint.KindCheck, DeviceID: "dev-1", SiteID: "site-1", StaffID: "staff-1", CreatedAt: at}
	if r.ID != want.ID || r.Kind != want.Kind || r.DeviceID != want.DeviceID || r.SiteID != want.SiteID ||
		r.StaffID != want.StaffID || !r.CreatedAt.Equal(at) {
		t.Errorf("record = %+v; want %+v", r, want)
	}
	if err := r.Validate(); err != nil {
		t.Errorf("record does not validate: %v", err)
	}
	// The bytes in the outbox are exactly the record re-encoded: a retry sends the same bytes.
	var env []byte
	if err := db.r.QueryRowContext(ctx, `SELECT envelope FROM outbox WHERE id = ?`, id).Scan(&env); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(r)
	if string(again) != string(env) {
		t.Errorf("re-encoded record differs from stored envelope:\n%s\n%s", again, env)
	}
	var c checkpoint.Check
	if err := json.Unmarshal(r.Body, &c); err != nil {
		t.Fatal(err)
	}
	if c.Verdict != "pass" || !c.ConfirmedAt.Equal(at) || !c.ScannedAt.Equal(at) || c.Sealed != "" || c.HolderID != "" {
		t.Errorf("body = %+v; want verdict pass, times %v, no seal or holder", c, at)
	}
	entries, total, err := db.QueryLog(ctx, LogFilter{})
	if err != nil || total != 1 || len(entries) != 1 || entries[0].ID != id || entries[0].Sync != "pending" {
		t.Fatalf("QueryLog = %+v, %d, %v; want the one pending entry", entries, total, err)
	}
}

func TestSaveNotEnrolled(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir()+"/k.db", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SaveCheck(ctx, Meta{}, greenCheck(), checkpoint.Personal{}); !errors.Is(err, ErrNotEnrolled) {
		t.Errorf("SaveCheck before enrollment: %v; want ErrNotEnrolled", err)
	}
	if _, err := db.Device(ctx); !errors.Is(err, ErrNotEnrolled) {
		t.Errorf("Device before enrollment: %v; want ErrNotEnrolled", err)
	}
	// An explicit device and site need no enrollment (kiosk simulate).
	if _, err := db.SaveCheck(ctx, Meta{DeviceID: "d", SiteID: "s"}, greenCheck(), checkpoint.Personal{}); err != nil {
		t.Errorf("SaveCheck with explicit meta: %v", err)
	}
}

func TestPersonalDataSealed(t *testing.T) {
	ctx := context.Background()
	p := checkpoint.Personal{Name: "张三丰", ID: fullID, Phone: fullPhone}
	t.Run("with keys", func(t *testing.T) {
		db, _ := openTest(t)
		priv := keys(t, db, 0)
		cid, err := db.SaveCheck(ctx, Meta{StaffID: "s1"}, greenCheck(), p)
		if err != nil {
			t.Fatal(err)
		}
		rid, err := db.SaveRegistration(ctx, Meta{StaffID: "s1"}, checkpoint.Registration{Verdict: "pass", SMSVerified: true}, p)
		if err != nil {
			t.Fatal(err)
		}
		recs, _ := db.PendingBatch(ctx, 10, 1<<20)
		if len(recs) != 2 || recs[0].ID != cid || recs[1].ID != rid {
			t.Fatalf("PendingBatch ids = %v; want [%s %s]", ids(recs), cid, rid)
		}
		var c checkpoint.Check
		var r checkpoint.Registration
		json.Unmarshal(recs[0].Body, &c)
		json.Unmarshal(recs[1].Body, &r)
		for _, tt := range []struct{ name, id, sealed, other string }{{"check", cid, c.Sealed, rid}, {"registration", rid, r.Sealed, cid}} {
			got, err := sealbox.Open(priv, tt.id, tt.sealed)
			if err != nil || got != p {
				t.Errorf("%s: Open(sealed) = %+v, %v; want %+v", tt.name, got, err, p)
			}
			// The box is bound to its record: swapped into the other record it does not open.
			if got, err := sealbox.Open(priv, tt.other, tt.sealed); err == nil {
				t.Errorf("%s: box opened as record %s: %+v; want it refused", tt.name, tt.other, got)
			}
		}
		if strings.Contains(string(recs[1].Body), "hash") {
			t.Errorf("registration body %s carries a hash; want sealed and masked values only", recs[1].Body)
		}
		if r.IDMasked != "220221********1233" || r.PhoneMasked != "138****8000" || r.NameMasked != "张*丰" || r.Household != "220221" {
			t.Errorf("registration masked = %q %q %q %q", r.IDMasked, r.PhoneMasked, r.NameMasked, r.Household)
		}
		assertNoPlaintext(t, db, p)
	})
	t.Run("no keys yet", func(t *testing.T) {
		db, _ := openTest(t)
		if _, err := db.SaveRegistration(ctx, Meta{StaffID: "s1"}, checkpoint.Registration{Verdict: "pass"}, p); err != nil {
			t.Fatalf("SaveRegistration without keys: %v (a record must never be lost)", err)
		}
		recs, _ := db.PendingBatch(ctx, 10, 1<<20)
		var r checkpoint.Registration
		json.Unmarshal(recs[0].Body, &r)
		if r.Sealed != "" || r.IDMasked == "" {
			t.Errorf("without keys: sealed %q masked %q; want no seal, masked kept", r.Sealed, r.IDMasked)
		}
		if _, err := db.StaffSalt(ctx); !errors.Is(err, ErrNoStaffSalt) {
			t.Errorf("StaffSalt without settings: %v; want ErrNoStaffSalt", err)
		}
		if _, err := db.SaveStaffAdd(ctx, Meta{StaffID: "s1"}, checkpoint.StaffAdd{Staff: staffMember("st-9", "h9")}, checkpoint.Personal{Phone: fullPhone}); !errors.Is(err, ErrNoSealKey) {
			t.Errorf("SaveStaffAdd without seal key: %v; want ErrNoSealKey", err)
		}
		assertNoPlaintext(t, db, p)
	})
}

// assertNoPlaintext checks every stored text and blob for the full ID number and phone.
func assertNoPlaintext(t *testing.T, db *DB, p checkpoint.Personal) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`SELECT envelope FROM outbox`,
		`SELECT id || kind || site_id || staff_id || verdict || reasons || name_masked || id_masked || phone_masked || household || remarks || coalesce(holder_id, '') FROM entries`,
	} {
		rows, err := db.r.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			for _, secret := range []string{p.ID, p.Phone, p.Name} {
				if strings.Contains(s, secret) {
					t.Errorf("%s: found %q in %q", q, secret, s)
				}
			}
		}
		rows.Close()
	}
}

func ids(recs []checkpoint.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

func TestInputLimits(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	long := strings.Repeat("长", MaxRemarks+1)
	mod := func(f func(*checkpoint.Check)) checkpoint.Check { c := greenCheck(); f(&c); return c }
	tests := []struct {
		name string
		save func() error
	}{
		{"remarks", func() error {
			_, err := db.SaveCheck(ctx, Meta{}, mod(func(c *checkpoint.Check) { c.Remarks = long }), checkpoint.Personal{})
			return err
		}},
		{"verdict missing", func() error {
			_, err := db.SaveCheck(ctx, Meta{}, mod(func(c *checkpoint.Check) { c.Verdict = "" }), checkpoint.Personal{})
			return err
		}},
		{"too many reasons", func() error {
			_, err := db.SaveCheck(ctx, Meta{}, mod(func(c *checkpoint.Check) { c.Reasons = make([]string, MaxReasons+1) }), checkpoint.Personal{})
			return err
		}},
		{"temperature", func() error {
			_, err := db.SaveCheck(ctx, Meta{}, mod(func(c *checkpoint.Check) { c.TempTenths = 10000 }), checkpoint.Personal{})
			return err
		}},
		{"code id", func() error {
			_, err := db.SaveCheck(ctx, Meta{}, mod(func(c *checkpoint.Check) { c.CodeID = strings.Repeat("x", 65) }), checkpoint.Personal{})
			return err
		}},
		{"personal name", func() error {
			_, err := db.SaveCheck(ctx, Meta{}, greenCheck(), checkpoint.Personal{Name: strings.Repeat("名", MaxName+1)})
			return err
		}},
		{"bad utf-8", func() error {
			_, err := db.SaveCheck(ctx, Meta{}, mod(func(c *checkpoint.Check) { c.Remarks = "\xff" }), checkpoint.Personal{})
			return err
		}},
		{"staff id", func() error {
			_, err := db.SaveCheck(ctx, Meta{StaffID: strings.Repeat("s", 65)}, greenCheck(), checkpoint.Personal{})
			return err
		}},
		{"registration remarks", func() error {
			_, err := db.SaveRegistration(ctx, Meta{}, checkpoint.Registration{Verdict: "pass", Remarks: long}, checkpoint.Personal{})
			return err
		}},
		{"site required field", func() error {
			_, err := db.SaveSiteEdit(ctx, Meta{}, checkpoint.SiteEdit{Site: checkpoint.Site{ID: "x", Name: "n"}})
			return err
		}},
		{"staff add", func() error {
			_, err := db.SaveStaffAdd(ctx, Meta{}, checkpoint.StaffAdd{Staff: checkpoint.Staff{ID: "x"}}, checkpoint.Personal{Phone: fullPhone})
			return err
		}},
		{"staff add without phone", func() error {
			_, err := db.SaveStaffAdd(ctx, Meta{}, checkpoint.StaffAdd{Staff: staffMember("st-8", "h8")}, checkpoint.Personal{})
			return err
		}},
		{"staff event detail", func() error {
			_, err := db.SaveStaffEvent(ctx, Meta{}, checkpoint.StaffEvent{Event: "login", Detail: long})
			return err
		}},
		{"staff event missing", func() error {
			_, err := db.SaveStaffEvent(ctx, Meta{}, checkpoint.StaffEvent{})
			return err
		}},
	}
	for _, tt := range tests {
		err := tt.save()
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error = %v; want ErrInvalid", tt.name, err)
		} else if !strings.HasPrefix(err.Error(), "store: save ") {
			t.Errorf("%s: error %q lacks the store: save prefix", tt.name, err)
		}
	}
	if s, _ := db.OutboxStats(ctx); s.Pending != 0 {
		t.Errorf("after rejected saves, %d records pending; want 0", s.Pending)
	}
}

func TestPendingBatchBounds(t *testing.T) {
	ctx := context.Background()
	db, c := openTest(t)
	var saved []string
	for i := range 5 {
		ch := greenCheck()
		if i == 2 {
			ch.Remarks = strings.Repeat("大", MaxRemarks) // ~1.5 KB more than the others
		}
		c.t = t0.Add(time.Duration(5-i) * time.Minute) // clock going backwards: order is still save order
		id, err := db.SaveCheck(ctx, Meta{}, ch, checkpoint.Personal{})
		if err != nil {
			t.Fatal(err)
		}
		saved = append(saved, id)
	}
	sizes := envelopeSizes(t, db)
	tests := []struct {
		name          string
		maxN, maxB    int
		want          []string
		quarantineIdx int
	}{
		{"all", 10, 1 << 20, saved, -1},
		{"count", 2, 1 << 20, saved[:2], -1},
		{"bytes", 10, sizes[0] + sizes[1] + sizes[2] - 1, saved[:2], -1},
		{"first alone even when too big", 10, 10, saved[:1], -1},
		{"zero count", 0, 1 << 20, nil, -1},
	}
	for _, tt := range tests {
		recs, err := db.PendingBatch(ctx, tt.maxN, tt.maxB)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(recs); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: PendingBatch(%d, %d) = %v; want %v", tt.name, tt.maxN, tt.maxB, got, tt.want)
		}
	}
	// Synced and quarantined records are not pending.
	if err := db.ApplyResults(ctx, []checkpoint.RecordResult{
		{ID: saved[0], Status: checkpoint.ResultStored},
		{ID: saved[1], Status: checkpoint.ResultRejected, Error: "site_not_allowed"},
	}, t0); err != nil {
		t.Fatal(err)
	}
	recs, _ := db.PendingBatch(ctx, 10, 1<<20)
	if got := ids(recs); strings.Join(got, ",") != strings.Join(saved[2:], ",") {
		t.Errorf("after results: PendingBatch = %v; want %v", got, saved[2:])
	}
}

func envelopeSizes(t *testing.T, db *DB) []int {
	rows, err := db.r.Query(`SELECT length(envelope) FROM outbox ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var n int
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}

func TestApplyResultsQuarantineRequeue(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	var id [5]string
	for i := range id {
		id[i], _ = db.SaveCheck(ctx, Meta{}, greenCheck(), checkpoint.Personal{})
	}
	now := t0.Add(time.Hour)
	err := db.ApplyResults(ctx, []checkpoint.RecordResult{
		{ID: id[0], Status: checkpoint.ResultStored},
		{ID: id[1], Status: checkpoint.ResultDuplicate},
		{ID: id[2], Status: checkpoint.ResultConflict, Error: "id_conflict", Message: "记录冲突 conflict"},
		{ID: id[3], Status: checkpoint.ResultRejected, Error: "site_not_allowed", Message: "站点无权限"},
		{ID: id[4], Status: "weird"},
		{ID: "no-such-id", Status: checkpoint.ResultStored},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (OutboxStats{Pending: 1, Quarantined: 2, Synced: 2, Oldest: t0}); st != want {
		t.Errorf("OutboxStats = %+v; want %+v", st, want)
	}
	q, err := db.Quarantined(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 2 || q[0].ID != id[2] || q[0].Error != "conflict: id_conflict" || q[1].Message != "站点无权限" ||
		!q[1].QuarantinedAt.Equal(now) || q[1].Kind != checkpoint.KindCheck || q[1].SiteID != "site-1" {
		t.Errorf("Quarantined = %+v", q)
	}
	if err := db.Requeue(ctx, id[3]); err != nil {
		t.Fatalf("Requeue: %v", err)
	}
	if err := db.Requeue(ctx, id[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("Requeue(synced) = %v; want ErrNotFound", err)
	}
	recs, _ := db.PendingBatch(ctx, 10, 1<<20)
	if got := ids(recs); strings.Join(got, ",") != id[3]+","+id[4] {
		t.Errorf("after requeue PendingBatch = %v; want [%s %s] in save order", got, id[3], id[4])
	}
	// A late "rejected" for a record already synced does not un-sync it.
	db.ApplyResults(ctx, []checkpoint.RecordResult{{ID: id[0], Status: checkpoint.ResultRejected}}, now)
	if st, _ := db.OutboxStats(ctx); st.Synced != 2 {
		t.Errorf("synced after late rejection = %d; want 2", st.Synced)
	}
}

func TestPurgeRetention(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name          string
		retentionDays int // 0: default
		ageDays       int
		state         string
		wantKept      bool
	}{
		{"synced, older than default", 0, 29, "synced", false},
		{"synced, younger than default", 0, 27, "synced", true},
		{"pending, very old", 0, 400, "pending", true},
		{"quarantined, very old", 0, 400, "quarantined", true},
		{"synced, older than setting", 7, 8, "synced", false},
		{"synced, younger than setting", 7, 6, "synced", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := openTest(t)
			if tt.retentionDays > 0 {
				keys(t, db, tt.retentionDays)
			}
			id, err := db.SaveCheck(ctx, Meta{At: t0}, greenCheck(), checkpoint.Personal{})
			if err != nil {
				t.Fatal(err)
			}
			evID, err := db.SaveStaffEvent(ctx, Meta{At: t0}, checkpoint.StaffEvent{Event: "login"})
			if err != nil {
				t.Fatal(err)
			}
			switch tt.state {
			case "synced":
				db.ApplyResults(ctx, []checkpoint.RecordResult{{ID: id, Status: checkpoint.ResultStored}}, t0)
			case "quarantined":
				db.ApplyResults(ctx, []checkpoint.RecordResult{{ID: id, Status: checkpoint.ResultRejected}}, t0)
			}
			n, err := db.Purge(ctx, t0.Add(time.Duration(tt.ageDays)*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			var outbox, entries int
			db.r.QueryRow(`SELECT count(*) FROM outbox WHERE id = ?`, id).Scan(&outbox)
			db.r.QueryRow(`SELECT count(*) FROM entries WHERE id = ?`, id).Scan(&entries)
			kept := outbox == 1 && entries == 1
			if kept != tt.wantKept || (!kept && (outbox != 0 || entries != 0 || n != 1)) {
				t.Errorf("after Purge: outbox %d, entries %d, purged %d; want kept=%v", outbox, entries, n, tt.wantKept)
			}
			var ev int
			db.r.QueryRow(`SELECT count(*) FROM outbox WHERE id = ?`, evID).Scan(&ev)
			if ev != 1 {
				t.Errorf("the unsynced staff event was purged")
			}
		})
	}
}

func TestLogValueHidesSecrets(t *testing.T) {
	var b strings.Builder
	logger := slogTextLogger(&b)
	logger.Info("x", "device", Device{ID: "d1", Secret: "topsecret"}, "entry", LogEntry{ID: "e1", IDMasked: "220221********1233", Remarks: "r"})
	if out := b.String(); strings.Contains(out, "topsecret") || strings.Contains(out, "220221") || !strings.Contains(out, "d1") {
		t.Errorf("log line = %q; want device id without secret, entry without personal data", out)
	}
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db, err := OpenDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tt := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700}, {filepath.Join(dir, FileName), 0o600}} {
		fi, err := os.Stat(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tt.want {
			t.Errorf("mode of %s = %o; want %o", tt.path, got, tt.want)
		}
	}
}
