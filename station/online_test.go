package station

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	hqdemo "github.com/yongji-county/checkpoint/hq/demo"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// testAdminToken is long enough for HQ (32 random bytes' worth).
const testAdminToken = "station-test-admin-token-0123456789-ABCDEFGHIJKLMNOP"

// TestOnlineWithDemoHQ runs the kiosk logic against the real HQ over HTTP: enroll, pull, log in
// with the pulled roster, scan a demo code online, record it, push it, then see a revocation
// made at HQ take effect at once through the live status.
func TestOnlineWithDemoHQ(t *testing.T) {
	ctx := context.Background()
	demo, err := hqdemo.Start(ctx, hqdemo.Config{Dir: t.TempDir(), AdminToken: testAdminToken, Logger: nil})
	if err != nil {
		t.Fatal(err)
	}
	defer demo.Close()
	db, err := store.OpenDir(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	client := sync.New(db, sync.Config{})
	if _, err := client.Enroll(ctx, demo.URL, demo.Info.EnrollmentCode); err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if _, err := client.Sync(ctx); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	st := New(Config{DB: db, Sync: client})
	var login = demo.Info.Logins[len(demo.Info.Logins)-1]
	sess, err := st.Login(ctx, login.Phone, login.Password)
	if err != nil {
		t.Fatalf("login %s with the pulled roster: %v", login.Phone, err)
	}
	code := demo.Info.Codes[0]
	v := st.Scan(ctx, sess, code.Code)
	if !v.Valid || !v.Online {
		t.Fatalf("demo code %q: valid %v online %v (%s)", code.Label, v.Valid, v.Online, v.ErrorKind)
	}
	if _, err := st.Confirm(ctx, sess, v, "36.5", false); err != nil {
		t.Fatal(err)
	}
	sum, err := client.Sync(ctx)
	if err != nil || sum.Pushed < 1 {
		t.Fatalf("push: %+v, %v", sum, err)
	}

	req, _ := http.NewRequest("POST", demo.URL+"/api/v1/admin/codes/"+code.CodeID+"/revoke", nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("revoke: HTTP %d", resp.StatusCode)
	}
	v = st.Scan(ctx, sess, code.Code)
	if v.Valid || v.ErrorKind != "revoked" || v.Decision.Verdict != "invalid" {
		t.Fatalf("after revocation at HQ: valid %v kind %q verdict %q; want revoked/invalid", v.Valid, v.ErrorKind, v.Decision.Verdict)
	}
}

// admin calls the demo HQ's admin API.
func admin(t *testing.T, demo *hqdemo.Demo, method, path string, body, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, demo.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRegisterWithoutCodeRedPerson: a person who is red at HQ cannot pass by showing no code.
// Online the kiosk asks HQ and refers them as red; offline it refers them as status unknown, and
// HQ lists the record for re-check once it arrives.
func TestRegisterWithoutCodeRedPerson(t *testing.T) {
	ctx := context.Background()
	demo, err := hqdemo.Start(ctx, hqdemo.Config{Dir: t.TempDir(), AdminToken: testAdminToken, Logger: nil})
	if err != nil {
		t.Fatal(err)
	}
	defer demo.Close()
	const redID = "110101199003074477"
	admin(t, demo, "POST", "/api/v1/codes", map[string]string{"name": "王小明", "id_number": redID}, nil)
	admin(t, demo, "POST", "/api/v1/admin/people/status", map[string]string{"id_number": redID, "status": "red", "reason": "密接"}, nil)

	db, err := store.OpenDir(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	client := sync.New(db, sync.Config{})
	if _, err := client.Enroll(ctx, demo.URL, demo.Info.EnrollmentCode); err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if _, err := client.Sync(ctx); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	login := demo.Info.Logins[len(demo.Info.Logins)-1]
	reg := Registration{Phone: "13912345678", Name: "王小明", ID: redID, Temp: "36.5"}

	online := New(Config{DB: db, Sync: client})
	sess, err := online.Login(ctx, login.Phone, login.Password)
	if err != nil {
		t.Fatal(err)
	}
	d, err := online.Register(ctx, sess, reg)
	if err != nil || d.Verdict != "refer" || !slices.Contains(d.Reasons, "code_red") {
		t.Fatalf("online registration of a red person = %+v, %v; want refer with code_red", d, err)
	}
	// An unregistered citizen, unknown at HQ, passes online.
	d, err = online.Register(ctx, sess, Registration{Phone: "13912345679", Name: "李小红", ID: "110101199003072711", Temp: "36.5"})
	if err != nil || d.Verdict != "pass" {
		t.Fatalf("online registration of someone HQ does not know = %+v, %v; want pass", d, err)
	}

	// The same kiosk with HQ unreachable.
	offline := New(Config{DB: db, Sync: sync.New(db, sync.Config{BaseURL: "http://127.0.0.1:1"})})
	d, err = offline.Register(ctx, sess, reg)
	if err != nil || d.Verdict != "refer" || !slices.Contains(d.Reasons, "status_unknown_offline") {
		t.Fatalf("offline registration of a red person = %+v, %v; want refer with status_unknown_offline", d, err)
	}
	if _, err := client.Sync(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	var rechecks []struct {
		Status       string   `json:"status"`
		KioskReasons []string `json:"kiosk_reasons"`
	}
	admin(t, demo, "GET", "/api/v1/admin/rechecks", nil, &rechecks)
	var offlineListed bool
	for _, r := range rechecks {
		if r.Status != "red" {
			t.Errorf("recheck %+v; want red", r)
		}
		offlineListed = offlineListed || slices.Contains(r.KioskReasons, "status_unknown_offline")
	}
	if len(rechecks) != 2 || !offlineListed {
		t.Fatalf("rechecks after sync = %+v; want both registrations of the red person, the offline one among them", rechecks)
	}
}
