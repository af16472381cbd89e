package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yongji-county/checkpoint"
)

func dispatchTest(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = dispatch(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// verifyJSON mirrors the documented output of "kiosk verify", decoded independently of the
// implementation's struct.
type verifyJSON struct {
	Valid     *bool    `json:"valid"`
	Error     *string  `json:"error"`
	Verdict   string   `json:"verdict"`
	Reasons   []string `json:"reasons"`
	MessageZH string   `json:"message_zh"`
	MessageEN string   `json:"message_en"`
	Claims    *struct {
		CodeID    string    `json:"code_id"`
		Name      string    `json:"name"`
		IDMasked  string    `json:"id_masked"`
		Household string    `json:"household"`
		Status    string    `json:"status"`
		Reason    string    `json:"reason"`
		IssuedAt  time.Time `json:"issued_at"`
		ExpiresAt time.Time `json:"expires_at"`
		Kind      string    `json:"kind"`
		KID       string    `json:"kid"`
	} `json:"claims"`
	raw string
}

func decodeVerify(t *testing.T, out string) verifyJSON {
	t.Helper()
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("verify output %q; want one line", out)
	}
	var v verifyJSON
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("verify output %q: %v", out, err)
	}
	if v.Valid == nil || v.Error == nil || v.Reasons == nil || v.Verdict == "" || v.MessageZH == "" || v.MessageEN == "" {
		t.Fatalf("verify output %q lacks a required field (reasons must be a list, never null)", out)
	}
	v.raw = out
	return v
}

// verifyFixture writes a trust list, a risk list and a revocation list and returns an issuer.
type verifyFixture struct {
	dir, trust, risk, revoked string
	issuer                    *checkpoint.Issuer
	now                       time.Time
}

func newVerifyFixture(t *testing.T) verifyFixture {
	t.Helper()
	f := verifyFixture{dir: t.TempDir(), now: time.Date(2022, 3, 15, 10, 0, 0, 0, checkpoint.ChinaTime)}
	key, err := checkpoint.GenerateIssuerKey("", f.now.AddDate(0, -1, 0), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if f.issuer, err = key.Issuer(); err != nil {
		t.Fatal(err)
	}
	trust, _ := json.Marshal(checkpoint.TrustList{Version: 1, Keys: []checkpoint.TrustedKey{key.TrustedKey()}})
	f.trust = f.write(t, "trust.json", string(trust))
	f.risk = f.write(t, "risk.json", `[{"code":"220100","level":"high","from":"2022-03-01","to":"2022-04-30"}]`)
	f.revoked = f.write(t, "revoked.json", `{"version":1,"code_ids":["deaddeaddeaddeaddead"]}`)
	return f
}

func (f verifyFixture) write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (f verifyFixture) issue(t *testing.T, edit func(*checkpoint.Claims)) string {
	t.Helper()
	c := checkpoint.Claims{HolderID: "0123456789abcdef", Name: "张小三", IDMasked: "220221********1233", Household: "220221", Status: checkpoint.StatusGreen}
	if edit != nil {
		edit(&c)
	}
	text, _, err := f.issuer.Issue(c, f.now)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestVerify(t *testing.T) {
	f := newVerifyFixture(t)
	green := f.issue(t, nil)
	now := f.now.Add(time.Minute).Format(time.RFC3339)
	base := []string{"verify", "--trust", f.trust, "--risk", f.risk, "--revoked", f.revoked, "--now", now}
	tests := []struct {
		name    string
		args    []string
		valid   bool
		err     string
		verdict string
		reasons []string
	}{
		{"green with temperature", []string{"--temp", "36.5", green}, true, "", "pass", []string{"offline_check"}},
		{"green, no temperature", []string{green}, true, "", "pass", []string{"temp_missing", "offline_check"}},
		{"code before flags", []string{green, "--temp", "36,5"}, true, "", "pass", []string{"offline_check"}},
		{"fever", []string{"--temp", "38.2", green}, true, "", "refer", []string{"fever", "offline_check"}},
		{"implausible temperature", []string{"--temp", "31", green}, true, "", "refer", []string{"temp_implausible", "offline_check"}},
		{"red", []string{"--temp", "36.5", f.issue(t, func(c *checkpoint.Claims) { c.Status = checkpoint.StatusRed })}, true, "", "refer", []string{"code_red", "offline_check"}},
		{"high-risk household", []string{"--temp", "36.5", f.issue(t, func(c *checkpoint.Claims) { c.Household = "220102" })},
			true, "", "turn_back", []string{"household_high_risk", "offline_check"}},
		{"high-risk household, local stay", []string{"--temp", "36.5", "--local-stay", f.issue(t, func(c *checkpoint.Claims) { c.Household = "220102" })},
			true, "", "pass", []string{"household_high_risk", "local_stay_exception", "offline_check"}},
		{"revoked", []string{"--temp", "36.5", f.issue(t, func(c *checkpoint.Claims) { c.CodeID = "deaddeaddeaddeaddead" })},
			false, "revoked", "invalid", []string{"code_invalid"}},
		{"expired", []string{"--temp", "36.5", "--now", f.now.Add(time.Hour).Format(time.RFC3339), green}, false, "expired", "invalid", []string{"code_invalid"}},
		{"clock behind", []string{"--temp", "36.5", "--now", f.now.Add(-time.Hour).Format(time.RFC3339), green}, false, "clock_skew", "invalid", []string{"code_invalid"}},
		{"not ours", []string{"--temp", "36.5", "https://example.com"}, false, "not_ours", "invalid", []string{"code_invalid"}},
		{"malformed", []string{"--temp", "36.5", green[:40]}, false, "malformed", "invalid", []string{"code_invalid"}},
	}
	for _, tt := range tests {
		code, out, errs := dispatchTest(t, append(slices.Clone(base), tt.args...)...)
		if code != 0 {
			t.Errorf("%s: verify = %d, stderr %q; want 0", tt.name, code, errs)
			continue
		}
		v := decodeVerify(t, out)
		if *v.Valid != tt.valid || *v.Error != tt.err || v.Verdict != tt.verdict || !slices.Equal(v.Reasons, tt.reasons) {
			t.Errorf("%s: verify = %s; want valid=%v error=%q verdict=%s reasons=%v", tt.name, out, tt.valid, tt.err, tt.verdict, tt.reasons)
		}
		if (v.Claims != nil) != tt.valid {
			t.Errorf("%s: verify claims = %+v; want claims only for a valid code", tt.name, v.Claims)
		}
	}

	code, out, _ := dispatchTest(t, "verify", "--trust", f.trust, "--now", now, green)
	v := decodeVerify(t, out)
	if code != 0 || v.Claims == nil || v.Claims.Name != "张小三" || v.Claims.IDMasked != "220221********1233" ||
		v.Claims.Household != "220221" || v.Claims.Status != "green" || v.Claims.Kind != "live" ||
		v.Claims.KID != f.issuer.KID() || len(v.Claims.CodeID) != 16 || !v.Claims.IssuedAt.Equal(f.now) ||
		!v.Claims.ExpiresAt.Equal(f.now.Add(10*time.Minute)) {
		t.Errorf("verify claims = %s", out)
	}
}

func TestVerifyUsage(t *testing.T) {
	f := newVerifyFixture(t)
	green := f.issue(t, nil)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no code", []string{"verify", "--trust", f.trust}, 2},
		{"two codes", []string{"verify", "--trust", f.trust, green, green}, 2},
		{"no trust", []string{"verify", green}, 2},
		{"bad temperature", []string{"verify", "--trust", f.trust, "--temp", "hot", green}, 2},
		{"bad now", []string{"verify", "--trust", f.trust, "--now", "noon", green}, 2},
		{"unknown flag", []string{"verify", "--trust", f.trust, "--bogus", green}, 2},
		{"unreadable trust", []string{"verify", "--trust", filepath.Join(f.dir, "none.json"), green}, 1},
		{"invalid trust", []string{"verify", "--trust", f.risk, green}, 1},
		{"unreadable risk", []string{"verify", "--trust", f.trust, "--risk", filepath.Join(f.dir, "none.json"), green}, 1},
		{"invalid risk", []string{"verify", "--trust", f.trust, "--risk", f.trust, green}, 1},
		{"unreadable revoked", []string{"verify", "--trust", f.trust, "--revoked", f.dir, green}, 1},
	}
	for _, tt := range tests {
		code, out, errs := dispatchTest(t, tt.args...)
		if code != tt.code || out != "" || errs == "" {
			t.Errorf("%s: verify = %d, stdout %q, stderr %q; want %d, no stdout, a message", tt.name, code, out, errs, tt.code)
		}
	}
}

// TestVerifyEndToEnd runs the real hq binary's keygen and issue-code and verifies what it prints.
func TestVerifyEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/hq")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	dir := t.TempDir()
	hq := filepath.Join(dir, "hq")
	if out, err := exec.Command(goTool, "build", "-o", hq, "github.com/yongji-county/checkpoint/cmd/hq").CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/hq: %v\n%s", err, out)
	}
	hqRun := func(args ...string) string {
		out, err := exec.Command(hq, args...).Output()
		if err != nil {
			t.Fatalf("hq %q: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	hqRun("keygen", "--out", dir)
	key, trust := filepath.Join(dir, "issuer.key"), filepath.Join(dir, "trust.json")
	issue := []string{"issue-code", "--key", key, "--name", "李四", "--id", "11010519491231002X", "--household", "110105", "--status", "green"}
	green := hqRun(issue...)
	expired := hqRun(append(issue, "--ttl", "-1h")...)

	code, out, errs := dispatchTest(t, "verify", "--trust", trust, "--temp", "36.6", green)
	v := decodeVerify(t, out)
	if code != 0 || !*v.Valid || v.Verdict != "pass" || v.Claims == nil || v.Claims.Name != "李四" || v.Claims.IDMasked != "110105********002X" {
		t.Errorf("verify fresh code = %d %s %s", code, out, errs)
	}
	_, out, _ = dispatchTest(t, "verify", "--trust", trust, expired)
	if v := decodeVerify(t, out); *v.Valid || *v.Error != "expired" || v.Verdict != "invalid" {
		t.Errorf("verify expired code = %s; want error expired, verdict invalid", out)
	}
	for i := len(checkpoint.CodePrefix); i < len(green); i += 7 {
		r := byte('0')
		if green[i] == r {
			r = 'A'
		}
		tampered := green[:i] + string(r) + green[i+1:]
		_, out, _ = dispatchTest(t, "verify", "--trust", trust, tampered)
		// Depending on which bytes the change lands in, the signature, the structure or the key id
		// breaks: any failure kind will do, a verified code never.
		if v := decodeVerify(t, out); *v.Valid || *v.Error == "" || v.Verdict != "invalid" {
			t.Errorf("verify code tampered at %d = %s; want a failure kind and verdict invalid", i, out)
		}
	}
}
