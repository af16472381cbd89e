package station

import (
	"context"
	"net/http"
	"testing"

	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// TestOnlineWithDemoHQ runs the kiosk logic against the real HQ over HTTP: enroll, pull, log in
// with the pulled roster, scan a demo code online, record it, push it, then see a revocation
// made at HQ take effect at once through the live status.
func TestOnlineWithDemoHQ(t *testing.T) {
	ctx := context.Background()
	demo, err := hq.StartDemo(ctx, t.TempDir(), "admin-token-for-tests", nil)
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
	req.Header.Set("Authorization", "Bearer admin-token-for-tests")
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
