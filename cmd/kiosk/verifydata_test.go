package main

import (
	"context"
	"encoding/base64"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	hqdemo "github.com/yongji-county/checkpoint/hq/demo"
)

// enrolledKiosk runs a seeded HQ behind httptest, enrolls a kiosk data directory with it and
// syncs once.
func enrolledKiosk(t *testing.T) (dir string, srv *hq.Server, ts *httptest.Server, info hqdemo.Info) {
	t.Helper()
	root, err := checkpoint.GenerateRootKey()
	if err != nil {
		t.Fatal(err)
	}
	srv, err = hq.New(hq.Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "hq.db"), RootKey: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if info, err = hqdemo.Seed(context.Background(), srv); err != nil {
		t.Fatal(err)
	}
	ts = httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	dir = t.TempDir()
	if rc, out, errs := dispatchTest(t, "enroll", "--data", dir, "--hq", ts.URL, "--code", info.EnrollmentCode); rc != 0 {
		t.Fatalf("enroll = %d %s %s", rc, out, errs)
	}
	syncKiosk(t, dir)
	return dir, srv, ts, info
}

func syncKiosk(t *testing.T, dir string) {
	t.Helper()
	if rc, out, errs := dispatchTest(t, "sync", "--data", dir, "--timeout", "20s"); rc != 0 {
		t.Fatalf("sync = %d %s %s", rc, out, errs)
	}
}

// TestVerifyAsEnrolledKiosk: kiosk verify --data decides as the kiosk in DIR: its pulled
// datasets, and HQ's live status while HQ answers.
func TestVerifyAsEnrolledKiosk(t *testing.T) {
	dir, srv, ts, info := enrolledKiosk(t)
	ctx := context.Background()
	verify := func(args ...string) verifyJSON {
		t.Helper()
		rc, out, errs := dispatchTest(t, append([]string{"verify", "--data", dir}, args...)...)
		if rc != 0 {
			t.Fatalf("verify %q = %d, stderr %q", args, rc, errs)
		}
		return decodeVerify(t, out)
	}
	local, risky := info.Codes[0], info.Codes[1]

	v := verify("--temp", "36.5", local.Code)
	if !*v.Valid || v.Verdict != "pass" || len(v.Reasons) != 0 || v.Claims == nil || v.Claims.CodeID != local.CodeID {
		t.Errorf("online, green local code = %s; want pass with no reasons (confirmed with HQ)", v.raw)
	}
	// The risk list pulled from HQ turns the 长春南关 household back, unless the stay is confirmed.
	if v := verify("--temp", "36.5", risky.Code); v.Verdict != "turn_back" || !slices.Contains(v.Reasons, "household_high_risk") {
		t.Errorf("high-risk household = %s; want turn_back", v.raw)
	}
	if v := verify("--temp", "36.5", "--local-stay", risky.Code); v.Verdict != "pass" || !slices.Contains(v.Reasons, "local_stay_exception") {
		t.Errorf("high-risk household with local stay = %s; want pass", v.raw)
	}
	if v := verify("--temp", "52", local.Code); v.Verdict != "refer" || !slices.Contains(v.Reasons, "temp_implausible") {
		t.Errorf("52 °C = %s; want refer temp_implausible", v.raw)
	}

	// A code signed with HQ's key that HQ never issued is invalid while HQ answers.
	keys, err := srv.DB().Keys(ctx)
	if err != nil || len(keys) == 0 {
		t.Fatal(keys, err)
	}
	seed, _ := base64.StdEncoding.DecodeString(keys[0].Private)
	is, err := checkpoint.IssuerKey{KID: keys[0].ID, PrivateKey: seed, NotBefore: keys[0].NotBefore}.Issuer()
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := is.Issue(checkpoint.Claims{HolderID: checkpoint.NewHolderID(), Name: "赵六", IDMasked: "220221********1234", Household: "220221", Status: checkpoint.StatusGreen}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if v := verify("--temp", "36.5", forged); *v.Valid || *v.Error != "unknown_code" || v.Verdict != "invalid" {
		t.Errorf("code HQ does not know, online = %s; want invalid unknown_code", v.raw)
	}

	// Revoked at HQ after the kiosk's last pull: invalid at once through the live status.
	if err := srv.DB().RevokeCode(ctx, local.CodeID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if v := verify("--temp", "36.5", local.Code); *v.Valid || *v.Error != "revoked" || v.Verdict != "invalid" {
		t.Errorf("code revoked at HQ = %s; want invalid revoked", v.raw)
	}

	// Distrusted at HQ, pulled, then HQ gone: the kiosk refuses the key's codes offline.
	if err := srv.DB().DistrustKey(ctx, keys[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	syncKiosk(t, dir)
	ts.Close()
	if v := verify("--temp", "36.5", risky.Code); *v.Valid || *v.Error != "key_distrusted" || v.Verdict != "invalid" {
		t.Errorf("code of a distrusted key, offline = %s; want invalid key_distrusted", v.raw)
	}
}

// TestVerifyAsKioskOffline: with HQ unreachable the kiosk decides from its datasets and says so.
func TestVerifyAsKioskOffline(t *testing.T) {
	dir, _, ts, info := enrolledKiosk(t)
	ts.Close()
	rc, out, errs := dispatchTest(t, "verify", "--data", dir, "--temp", "36.5", info.Codes[0].Code)
	if rc != 0 {
		t.Fatalf("verify = %d %s", rc, errs)
	}
	if v := decodeVerify(t, out); !*v.Valid || v.Verdict != "pass" || !slices.Equal(v.Reasons, []string{"offline_check"}) {
		t.Errorf("offline = %s; want pass with offline_check", out)
	}
	// Its clock: a printed code read 8 days on is past the printed cap.
	later := time.Now().Add(8 * 24 * time.Hour).Format(time.RFC3339)
	_, out, _ = dispatchTest(t, "verify", "--data", dir, "--now", later, info.Codes[0].Code)
	if v := decodeVerify(t, out); *v.Valid || *v.Error != "expired" {
		t.Errorf("8 days on = %s; want expired", out)
	}
}

func TestVerifyDataUsage(t *testing.T) {
	f := newVerifyFixture(t)
	green := f.issue(t, nil)
	for _, tt := range []struct {
		name string
		args []string
		code int
	}{
		{"data and trust", []string{"verify", "--data", f.dir, "--trust", f.trust, green}, 2},
		{"data and risk", []string{"verify", "--data", f.dir, "--risk", f.risk, green}, 2},
		{"hq without data", []string{"verify", "--trust", f.trust, "--hq", "http://x", green}, 2},
		{"no kiosk database", []string{"verify", "--data", t.TempDir(), green}, 1},
	} {
		code, out, errs := dispatchTest(t, tt.args...)
		if code != tt.code || out != "" || errs == "" {
			t.Errorf("%s: verify = %d, stdout %q, stderr %q; want %d, no stdout, a message", tt.name, code, out, errs, tt.code)
		}
	}
}
