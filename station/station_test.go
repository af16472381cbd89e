package station

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/passwd"
	"github.com/yongji-county/checkpoint/sealbox"
	"github.com/yongji-county/checkpoint/store"
)

var testNow = time.Date(2022, 4, 10, 9, 30, 0, 0, checkpoint.ChinaTime)

// testHolder is the holder id of the fixture's codes (f.code); f.codeOf issues for another.
const testHolder = "00112233445566ff"

var testSalt = []byte("0123456789abcdef")

func lookup(t *testing.T, phone string) string {
	t.Helper()
	l, err := passwd.PhoneLookup(testSalt, phone)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type fixture struct {
	st     *Station
	db     *store.DB
	issuer *checkpoint.Issuer
	priv   []byte
	now    time.Time
	dir    string // the kiosk's data directory
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{now: testNow, dir: t.TempDir()}
	clock := func() time.Time { return f.now }
	db, err := store.OpenDir(ctx, f.dir, store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	// An enrolled kiosk: the roster below only ever arrives after enrollment.
	if err := db.SaveDevice(ctx, store.Device{ID: "dev-test", Secret: "s", SiteID: "demo-site", HQURL: "http://hq.invalid", EnrolledAt: testNow}); err != nil {
		t.Fatal(err)
	}
	key, err := checkpoint.GenerateIssuerKey("k1", testNow.AddDate(-1, 0, 0), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if f.issuer, err = key.Issuer(); err != nil {
		t.Fatal(err)
	}
	pub, priv, err := sealbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	f.priv = priv
	pw, err := passwd.Hash("right-password")
	if err != nil {
		t.Fatal(err)
	}
	staff := []checkpoint.Staff{
		{ID: "sup", PhoneLookup: lookup(t, "13800000001"), NameMasked: "王*", Role: checkpoint.RoleSupervisor, SiteID: "demo-site", PasswordHash: pw, Active: true},
		{ID: "scan", PhoneLookup: lookup(t, "13800000002"), NameMasked: "李*", Role: checkpoint.RoleScanner, SiteID: "sub-1", PasswordHash: pw, Active: true},
	}
	sites := []checkpoint.Site{
		{ID: "root", Name: "永吉县", Address: "永吉", Contact: "甲", Phone: "0432-1", Active: true},
		{ID: "demo-site", ParentID: "root", Name: "示范站", Address: "口前镇", Contact: "乙", Phone: "0432-2", Active: true},
		{ID: "sub-1", ParentID: "demo-site", Name: "一号卡口", Address: "路口", Contact: "丙", Phone: "0432-3", Active: true, Revision: 3},
		{ID: "other", ParentID: "root", Name: "别处", Address: "别处", Contact: "丁", Phone: "0432-4", Active: true},
	}
	settings := checkpoint.Settings{Rules: checkpoint.DefaultConfig(), HQSealKey: base64.StdEncoding.EncodeToString(pub),
		StaffSalt: base64.StdEncoding.EncodeToString(testSalt), RetentionDays: 28}
	risk := []map[string]string{{"code": "220100", "level": "high", "from": "2022-03-01", "to": "2022-04-30"}}
	trust := checkpoint.TrustList{Version: 1, Keys: []checkpoint.TrustedKey{key.TrustedKey()}}
	mk := func(name string, v any) checkpoint.Dataset {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return checkpoint.Dataset{Name: name, Version: 1, Data: b}
	}
	err = db.ApplyDatasets(ctx, []checkpoint.Dataset{
		mk(checkpoint.DatasetSettings, settings), mk(checkpoint.DatasetStaff, staff), mk(checkpoint.DatasetSites, sites),
		mk(checkpoint.DatasetRisk, risk), mk(checkpoint.DatasetTrust, trust),
		mk(checkpoint.DatasetRevocations, checkpoint.NewRevocationList(1, []string{"deadbeefdeadbeef"})),
	})
	if err != nil {
		t.Fatalf("apply datasets: %v", err)
	}
	f.st = New(Config{DB: db, Now: clock})
	return f
}

func (f *fixture) code(t *testing.T, household string, status checkpoint.Status) string {
	t.Helper()
	return f.codeOf(t, testHolder, household, status)
}

// codeOf issues a fresh code (a new code id) for holder.
func (f *fixture) codeOf(t *testing.T, holder, household string, status checkpoint.Status) string {
	t.Helper()
	text, _, err := f.issuer.Issue(checkpoint.Claims{HolderID: holder, Name: "张三", IDMasked: "220221********1234", Household: household,
		Status: status, ExpiresAt: f.now.Add(10 * time.Minute), Kind: checkpoint.KindLive}, f.now.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestLoginAndLockout(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s, err := f.st.Login(ctx, "+86 138 0000 0001", "right-password")
	if err != nil || !s.Supervisor || s.SiteName != "示范站" {
		t.Fatalf("Login = %+v, %v; want the supervisor at 示范站", s, err)
	}
	for i := 0; i < MaxLoginFailures; i++ {
		_, err = f.st.Login(ctx, "13800000002", "wrong")
		if p, ok := AsProblem(err); !ok || p.Code != "bad_password" {
			t.Fatalf("attempt %d: %v; want bad_password", i, err)
		}
	}
	_, err = f.st.Login(ctx, "13800000002", "right-password")
	if p, ok := AsProblem(err); !ok || p.Code != "locked" {
		t.Fatalf("after %d failures: %v; want locked", MaxLoginFailures, err)
	}
	f.now = f.now.Add(LockoutWindow + time.Minute)
	if _, err := f.st.Login(ctx, "13800000002", "right-password"); err != nil {
		t.Fatalf("after the lockout window: %v", err)
	}
	if _, err := f.st.Login(ctx, "12345", "x"); err == nil {
		t.Fatal("a malformed phone logged in")
	}
}

func TestScanDecideConfirm(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sess, err := f.st.Login(ctx, "13800000002", "right-password")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		household string
		status    checkpoint.Status
		temp      string
		localStay bool
		want      string
	}{
		{"green local", "220221", checkpoint.StatusGreen, "36.5", false, "pass"},
		{"fever", "220221", checkpoint.StatusGreen, "38.1", false, "refer"},
		{"high-risk household", "220102", checkpoint.StatusGreen, "36.5", false, "turn_back"},
		{"high-risk with local stay", "220102", checkpoint.StatusGreen, "36.5", true, "pass"},
		{"red code", "220221", checkpoint.StatusRed, "36.5", false, "refer"},
	}
	for _, tt := range tests {
		v := f.st.Scan(ctx, sess, f.code(t, tt.household, tt.status))
		if !v.Valid {
			t.Fatalf("%s: scan invalid: %s", tt.name, v.ErrorKind)
		}
		if v.HighRisk != strings.HasPrefix(tt.household, "2201") {
			t.Errorf("%s: HighRisk = %v", tt.name, v.HighRisk)
		}
		if want := map[bool]string{true: "220100"}[v.HighRisk]; v.RiskArea != want {
			t.Errorf("%s: RiskArea = %q; want %q (the listed area)", tt.name, v.RiskArea, want)
		}
		d, err := f.st.Confirm(ctx, sess, v, tt.temp, tt.localStay)
		if err != nil || d.Verdict != tt.want {
			t.Errorf("%s: Confirm = %s, %v; want %s", tt.name, d.Verdict, err, tt.want)
		}
	}
	if got := f.st.ShiftCount(sess); got != len(tests) {
		t.Errorf("ShiftCount = %d; want %d", got, len(tests))
	}
	rows, total, err := f.st.QueryLog(ctx, sess, LogFilter{Limit: 50})
	if err != nil || total != len(tests) || rows[0].Name != "张*" {
		t.Fatalf("QueryLog = %d rows (%d), %v", len(rows), total, err)
	}
	// The same code again within the window is flagged.
	text := f.code(t, "220221", checkpoint.StatusGreen)
	v := f.st.Scan(ctx, sess, text)
	if _, err := f.st.Confirm(ctx, sess, v, "36.6", false); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(3 * time.Minute)
	if v := f.st.Scan(ctx, sess, text); v.LastSeen.IsZero() {
		t.Error("a code checked 3 minutes ago is not flagged")
	}
	// Dedupe is by holder, not by code: the holder's refreshed code (a new code id) is flagged
	// too, and someone else's code is not.
	if v := f.st.Scan(ctx, sess, f.code(t, "220221", checkpoint.StatusGreen)); v.LastSeen.IsZero() {
		t.Error("the same holder's next code, 3 minutes after a check, is not flagged")
	}
	if v := f.st.Scan(ctx, sess, f.codeOf(t, "ffeeddccbbaa9988", "220221", checkpoint.StatusGreen)); !v.LastSeen.IsZero() {
		t.Errorf("another holder's code flagged as checked at %v", v.LastSeen)
	}
	batch, _ := f.db.PendingBatch(ctx, 1000, 1<<20)
	for _, rec := range batch {
		if rec.Kind == checkpoint.KindCheck && strings.Contains(string(rec.Body), `"code_id"`) && !strings.Contains(string(rec.Body), `"holder_id":"`+testHolder+`"`) {
			t.Errorf("check body %s lacks the holder id", rec.Body)
		}
	}
}

func TestScanBadCodes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sess, _ := f.st.Login(ctx, "13800000002", "right-password")
	good := f.code(t, "220221", checkpoint.StatusGreen)
	for _, text := range []string{"", "hello", "JXM:" + strings.Repeat("A", 40), good[:len(good)-3] + "AAA"} {
		v := f.st.Scan(ctx, sess, text)
		if v.Valid || v.Decision.Verdict != "invalid" || v.ErrorKind == "" {
			t.Errorf("Scan(%.20q) = valid %v verdict %q kind %q; want invalid", text, v.Valid, v.Decision.Verdict, v.ErrorKind)
		}
	}
	v := f.st.Scan(ctx, sess, good)
	if _, err := f.st.Confirm(ctx, sess, v, "", false); err == nil {
		t.Error("a valid code was recorded without a temperature")
	}
	if _, err := f.st.Decide(v, "52", false); err == nil {
		t.Error("52 °C accepted")
	}
	if _, err := f.st.Decide(v, "abc", false); err == nil {
		t.Error("abc accepted as a temperature")
	}
}

func TestRegisterSealsPersonalData(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sess, _ := f.st.Login(ctx, "13800000002", "right-password")
	r := Registration{Phone: "13912345678", Name: "王小明", ID: "110101199003074477", Temp: "36.4", Remarks: "=cmd|x"}
	if err := f.st.CheckRegistration(Registration{Phone: r.Phone, Name: r.Name, ID: "110101199003074478"}); err == nil {
		t.Fatal("a bad check digit passed")
	}
	d, err := f.st.Register(ctx, sess, r)
	// This kiosk has no HQ to ask for the person's status: no code is not a pass.
	if err != nil || d.Verdict != "refer" || !containsReason(d.Reasons, string(checkpoint.ReasonStatusUnknownOffline)) {
		t.Fatalf("Register = %+v, %v; want refer with status_unknown_offline", d, err)
	}
	batch, err := f.db.PendingBatch(ctx, 100, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, rec := range batch {
		if rec.Kind != checkpoint.KindRegistration {
			continue
		}
		found = true
		if strings.Contains(string(rec.Body), "110101199003074477") || strings.Contains(string(rec.Body), "13912345678") {
			t.Fatal("the full ID or phone is in the clear in the record")
		}
		var reg checkpoint.Registration
		if err := json.Unmarshal(rec.Body, &reg); err != nil {
			t.Fatal(err)
		}
		p, err := sealbox.Open(f.priv, rec.ID, reg.Sealed)
		if err != nil || p.ID != "110101199003074477" || p.Phone != "13912345678" {
			t.Fatalf("sealed personal data = %+v, %v", p, err)
		}
		if strings.Contains(string(rec.Body), "hash") {
			t.Errorf("registration body %s carries a hash; want sealed and masked values only", rec.Body)
		}
	}
	if !found {
		t.Fatal("no registration in the outbox")
	}
}

func TestSitesAndStaff(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sup, _ := f.st.Login(ctx, "13800000001", "right-password")
	scan, _ := f.st.Login(ctx, "13800000002", "right-password")
	if _, err := f.st.Sites(ctx, scan); err == nil {
		t.Fatal("scanner staff listed sites")
	}
	sites, err := f.st.Sites(ctx, sup)
	if err != nil || len(sites) != 2 || sites[0].ID != "demo-site" {
		t.Fatalf("Sites = %v, %v; want demo-site and sub-1", sites, err)
	}
	newSite := checkpoint.Site{ParentID: "sub-1", Name: "二号卡口", Address: "桥头", Contact: "戊", Phone: "0432-5"}
	if err := f.st.SaveSite(ctx, sup, checkpoint.Site{ParentID: "sub-1", Name: "缺地址"}, true); err == nil {
		t.Error("a site without the required fields was saved")
	}
	if err := f.st.SaveSite(ctx, sup, checkpoint.Site{ParentID: "other", Name: "x", Address: "y", Contact: "z", Phone: "1"}, true); err == nil {
		t.Error("a site outside the supervisor's tree was saved")
	}
	if err := f.st.SaveSite(ctx, sup, newSite, true); err != nil {
		t.Fatalf("SaveSite: %v", err)
	}
	if sites, _ := f.st.Sites(ctx, sup); len(sites) != 3 {
		t.Errorf("after adding a site, %d sites; want 3", len(sites))
	}
	err = f.st.AddStaff(ctx, sup, NewStaff{Phone: "13700000009", Name: "赵六", Password: "longenough", SiteID: "sub-1"})
	if err != nil {
		t.Fatalf("AddStaff: %v", err)
	}
	// The new scanner logs in at once, offline, through the slow lookup.
	if s, err := f.st.Login(ctx, "13700000009", "longenough"); err != nil || s.SiteID != "sub-1" {
		t.Errorf("new staff Login = %+v, %v", s, err)
	}
	batch, _ := f.db.PendingBatch(ctx, 1000, 1<<20)
	var adds int
	for _, rec := range batch {
		if rec.Kind != checkpoint.KindStaffAdd {
			continue
		}
		adds++
		var a checkpoint.StaffAdd
		json.Unmarshal(rec.Body, &a)
		if strings.Contains(string(rec.Body), "13700000009") || strings.Contains(string(rec.Body), "phone_masked") {
			t.Errorf("staff_add body %s holds the phone or a masked phone", rec.Body)
		}
		if p, err := sealbox.Open(f.priv, rec.ID, a.Sealed); err != nil || p.Phone != "13700000009" {
			t.Errorf("staff_add sealed phone = %+v, %v", p, err)
		}
		if a.Staff.PhoneLookup != lookup(t, "13700000009") {
			t.Errorf("staff_add lookup = %q; want PhoneLookup(staff salt, phone)", a.Staff.PhoneLookup)
		}
	}
	if adds != 1 {
		t.Errorf("%d staff_add records; want 1", adds)
	}
	if err := f.st.AddStaff(ctx, sup, NewStaff{Phone: "13700000008", Name: "赵七", Password: "short", SiteID: "sub-1"}); err == nil {
		t.Error("a 5-character password was accepted")
	}
	if err := f.st.AddStaff(ctx, sup, NewStaff{Phone: "13800000002", Name: "李四", Password: "longenough", SiteID: "sub-1"}); err == nil {
		t.Error("an existing staff phone was added again")
	}
}

// An edit of a site names the version it was made from: HQ's revision the kiosk holds, then the
// supervisor's own edit that HQ has not answered yet. A new site names none.
func TestSaveSiteFillsBase(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sup, _ := f.st.Login(ctx, "13800000001", "right-password")
	sites, err := f.st.Sites(ctx, sup)
	if err != nil || len(sites) < 2 {
		t.Fatalf("Sites = %v, %v", sites, err)
	}
	sub := sites[1]
	want, err := f.db.EditBase(ctx, "sites", sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	sub.Name = "改一次"
	if err := f.st.SaveSite(ctx, sup, sub, false); err != nil {
		t.Fatal(err)
	}
	sub.Name = "改两次"
	if err := f.st.SaveSite(ctx, sup, sub, false); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SaveSite(ctx, sup, checkpoint.Site{ParentID: sub.ID, Name: "新", Address: "a", Contact: "c", Phone: "1"}, true); err != nil {
		t.Fatal(err)
	}
	batch, _ := f.db.PendingBatch(ctx, 1000, 1<<20)
	var edits []checkpoint.Record
	for _, r := range batch {
		if r.Kind == checkpoint.KindSiteEdit {
			edits = append(edits, r)
		}
	}
	if len(edits) != 3 {
		t.Fatalf("%d site edits; want 3", len(edits))
	}
	var e [3]checkpoint.SiteEdit
	for i := range edits {
		json.Unmarshal(edits[i].Body, &e[i])
	}
	if e[0].EditBase != want || want.BaseRevision != 3 {
		t.Errorf("first edit's base = %+v; want %+v (HQ's revision held)", e[0].EditBase, want)
	}
	if e[1].BaseRecord != edits[0].ID {
		t.Errorf("second edit's base = %+v; want the first edit %s", e[1].EditBase, edits[0].ID)
	}
	if e[2].EditBase != (checkpoint.EditBase{}) || !e[2].Created {
		t.Errorf("new site's base = %+v; want none", e[2].EditBase)
	}
}
