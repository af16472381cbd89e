package station

import (
	"context"
	"database/sql"
	"encoding/base64"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	hqdemo "github.com/yongji-county/checkpoint/hq/demo"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// onlineKiosk is an enrolled kiosk that has pulled from a demo HQ, with a scanner logged in.
type onlineKiosk struct {
	demo   *hqdemo.Demo
	db     *store.DB
	client *sync.Client
	st     *Station
	sess   Session
}

func newOnlineKiosk(t *testing.T) *onlineKiosk {
	t.Helper()
	ctx := context.Background()
	demo, err := hqdemo.Start(ctx, hqdemo.Config{Dir: t.TempDir(), AdminToken: testAdminToken, Logger: nil})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { demo.Close() })
	db, err := store.OpenDir(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	client := sync.New(db, sync.Config{})
	if _, err := client.Enroll(ctx, demo.URL, demo.Info.EnrollmentCode); err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if _, err := client.Sync(ctx); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	k := &onlineKiosk{demo: demo, db: db, client: client, st: New(Config{DB: db, Sync: client})}
	login := demo.Info.Logins[len(demo.Info.Logins)-1]
	if k.sess, err = k.st.Login(ctx, login.Phone, login.Password); err != nil {
		t.Fatal(err)
	}
	return k
}

func (k *onlineKiosk) admin(t *testing.T, path string) {
	t.Helper()
	req, _ := http.NewRequest("POST", k.demo.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: HTTP %d", path, resp.StatusCode)
	}
}

// TestOnlineUnknownCodeInvalid: a code correctly signed with HQ's key that HQ has no record of
// (a leaked key, a forger's own issue) is invalid when HQ is reachable, not an offline pass.
func TestOnlineUnknownCodeInvalid(t *testing.T) {
	k := newOnlineKiosk(t)
	ctx := context.Background()
	keys, err := k.demo.Core.DB().Keys(ctx)
	if err != nil || len(keys) == 0 {
		t.Fatalf("demo keys: %v, %v", keys, err)
	}
	seed, _ := base64.StdEncoding.DecodeString(keys[len(keys)-1].Private)
	ik := checkpoint.IssuerKey{KID: keys[len(keys)-1].ID, PrivateKey: seed, NotBefore: keys[len(keys)-1].NotBefore}
	is, err := ik.Issuer()
	if err != nil {
		t.Fatal(err)
	}
	text, _, err := is.Issue(checkpoint.Claims{HolderID: checkpoint.NewHolderID(), Name: "赵六", IDMasked: "220221********1234", Household: "220221",
		Status: checkpoint.StatusGreen}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	v := k.st.Scan(ctx, k.sess, text)
	if v.Valid || !v.Online || v.ErrorKind != "unknown_code" || v.Decision.Verdict != "invalid" {
		t.Fatalf("code HQ never issued, scanned online: valid %v online %v kind %q verdict %q; want invalid unknown_code",
			v.Valid, v.Online, v.ErrorKind, v.Decision.Verdict)
	}
	if m := checkpoint.MessageFor("unknown_code"); v.Decision.MessageEN == "" || m.EN == checkpoint.MessageFor("no such kind").EN {
		t.Errorf("unknown_code has no message of its own: %q", v.Decision.MessageEN)
	}
	// A code HQ did issue still passes online.
	if v := k.st.Scan(ctx, k.sess, k.demo.Info.Codes[0].Code); !v.Valid || !v.Online {
		t.Errorf("demo code: valid %v online %v (%s)", v.Valid, v.Online, v.ErrorKind)
	}
}

// TestDistrustedKeyOnKiosk: once HQ distrusts a key, its codes are invalid at once for an online
// kiosk (live status) and, after the next pull, offline too, with the key_distrusted message.
func TestDistrustedKeyOnKiosk(t *testing.T) {
	k := newOnlineKiosk(t)
	ctx := context.Background()
	code := k.demo.Info.Codes[0]
	keys, _ := k.demo.Core.DB().Keys(ctx)
	k.admin(t, "/api/v1/admin/keys/"+keys[len(keys)-1].ID+"/distrust")
	if v := k.st.Scan(ctx, k.sess, code.Code); v.Valid || v.ErrorKind != "key_distrusted" || v.Decision.Verdict != "invalid" {
		t.Errorf("before the pull, online: valid %v kind %q verdict %q; want invalid key_distrusted", v.Valid, v.ErrorKind, v.Decision.Verdict)
	}
	if _, err := k.client.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	offline := New(Config{DB: k.db}) // the same kiosk with no HQ
	v := offline.Scan(ctx, k.sess, code.Code)
	if v.Valid || v.ErrorKind != "key_distrusted" || v.Decision.Verdict != "invalid" {
		t.Errorf("after the pull, offline: valid %v kind %q verdict %q; want invalid key_distrusted", v.Valid, v.ErrorKind, v.Decision.Verdict)
	}
	if want := checkpoint.MessageFor("key_distrusted").ZH; !strings.Contains(v.Decision.MessageZH, want) {
		t.Errorf("message %q lacks %q", v.Decision.MessageZH, want)
	}
}

// TestRevocationsUnreadableFailsClosed: when the kiosk cannot read its revocation list, a code
// does not pass offline.
func TestRevocationsUnreadableFailsClosed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sess, _ := f.st.Login(ctx, "13800000002", "right-password")
	text := f.code(t, "220221", checkpoint.StatusGreen)
	if v := f.st.Scan(ctx, sess, text); !v.Valid {
		t.Fatalf("before: %s", v.ErrorKind)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(f.dir, store.FileName)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `UPDATE datasets SET data = ? WHERE name = ?`, []byte(`{"code_ids":"not a list"}`), checkpoint.DatasetRevocations); err != nil {
		t.Fatal(err)
	}
	v := f.st.Scan(ctx, sess, text)
	if v.Valid || v.ErrorKind != "revocations_unavailable" || v.Decision.Verdict == "pass" {
		t.Errorf("with an unreadable revocation list: valid %v kind %q verdict %q; want not valid, revocations_unavailable", v.Valid, v.ErrorKind, v.Decision.Verdict)
	}
}

// TestImplausibleTemperaturePaths: on every kiosk path a reading outside the plausible range is
// refer temp_implausible, never pass, and the record is kept.
func TestImplausibleTemperaturePaths(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sess, _ := f.st.Login(ctx, "13800000002", "right-password")
	isImplausible := func(d Decision) bool {
		return d.Verdict == "refer" && slices.Contains(d.Reasons, string(checkpoint.ReasonTempImplausible))
	}
	for _, temp := range []string{"0", "12", "33.9", "43.1", "52", "999.9"} {
		v := f.st.Scan(ctx, sess, f.code(t, "220221", checkpoint.StatusGreen))
		if d, err := f.st.Decide(v, temp, false); !isImplausible(d) || err == nil {
			t.Errorf("Decide(%s °C) = %+v, %v; want refer temp_implausible and a measure-again error", temp, d, err)
		}
		d, err := f.st.Confirm(ctx, sess, v, temp, false)
		if err != nil || !isImplausible(d) {
			t.Errorf("Confirm(%s °C) = %+v, %v; want it recorded as refer temp_implausible", temp, d, err)
		}
		d, err = f.st.Register(ctx, sess, Registration{Phone: "13912345678", Name: "王小明", ID: "110101199003074477", Temp: temp})
		if err != nil || !isImplausible(d) {
			t.Errorf("Register(%s °C) = %+v, %v; want it recorded as refer temp_implausible", temp, d, err)
		}
	}
	rows, total, err := f.st.QueryLog(ctx, sess, LogFilter{Limit: 50})
	if err != nil || total != 12 {
		t.Fatalf("QueryLog = %d rows (%d), %v; want all 12 records kept", len(rows), total, err)
	}
	for _, r := range rows {
		if r.Verdict != "refer" {
			t.Errorf("logged %+v; want refer", r)
		}
	}
	// Not a number is still an error to fix, and nothing is recorded.
	v := f.st.Scan(ctx, sess, f.code(t, "220221", checkpoint.StatusGreen))
	if _, err := f.st.Confirm(ctx, sess, v, "abc", false); err == nil {
		t.Error("Confirm with temperature abc recorded a check")
	}
}
