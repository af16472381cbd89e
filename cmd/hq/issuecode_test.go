package main

import (
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/scanner"
)

// keygenDir runs keygen into a temporary directory and returns it with the trust list.
func keygenDir(t *testing.T) (string, checkpoint.TrustList) {
	t.Helper()
	dir := t.TempDir()
	if code, _, errs := dispatchTest(t, "keygen", "--out", dir); code != 0 {
		t.Fatalf("keygen = %d, %q", code, errs)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "trust.json"))
	trust, err := checkpoint.ParseTrustList(data)
	if err != nil {
		t.Fatal(err)
	}
	return dir, trust
}

func TestIssueCode(t *testing.T) {
	dir, trust := keygenDir(t)
	key := filepath.Join(dir, "issuer.key")
	pngPath := filepath.Join(dir, "code.png")
	code, out, errs := dispatchTest(t, "issue-code", "--key", key, "--name", " 阿卜杜•买买提 ", "--id", "220221199001011233",
		"--household", "220102", "--status", "yellow", "--reason", "密接", "--png", pngPath)
	if code != 0 {
		t.Fatalf("issue-code = %d, stderr %q", code, errs)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, checkpoint.CodePrefix) {
		t.Fatalf("issue-code stdout = %q; want one line of code text", out)
	}
	text := strings.TrimSpace(out)
	now := time.Now()
	c, err := checkpoint.Verify(text, trust, nil, now, checkpoint.DefaultConfig())
	if err != nil {
		t.Fatalf("Verify(%q) = %v", text, err)
	}
	if c.Name != "阿卜杜·买买提" || c.IDMasked != "220221********1233" || c.Household != "220102" ||
		c.Status != checkpoint.StatusYellow || c.Reason != "密接" || c.Kind != checkpoint.KindLive ||
		c.ExpiresAt.Sub(c.IssuedAt) != 10*time.Minute {
		t.Errorf("issued claims = %+v", c)
	}

	// The PNG decodes back to the same text.
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 380 || b.Dx() > 420 || b.Dx() != b.Dy() {
		t.Errorf("PNG size = %v; want about 400x400", b)
	}
	// Read it the way a kiosk does: gozxing's plain reader alone misses some perfect codes.
	dec, err := scanner.NewDecoder(scanner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := dec.Decode(scanner.GreyFromImage(img))
	if err != nil || len(res) != 1 || res[0].Text != text {
		t.Errorf("QR in PNG decodes to %v, %v; want %q", res, err, text)
	}
}

func TestIssueCodeKindsAndTTL(t *testing.T) {
	dir, trust := keygenDir(t)
	key := filepath.Join(dir, "issuer.key")
	base := []string{"issue-code", "--key", key, "--name", "张三", "--id", "11010519491231002x", "--household", "110105", "--status", "green"}
	now := time.Now()
	tests := []struct {
		name    string
		args    []string
		at      time.Time
		wantTTL time.Duration
		wantErr error
	}{
		{"printed default 7 days", []string{"--kind", "printed"}, now.Add(6 * 24 * time.Hour), 7 * 24 * time.Hour, nil},
		{"live ttl 1h", []string{"--ttl", "1h"}, now.Add(5 * time.Minute), time.Hour, nil},
		{"live ttl 1h is capped", []string{"--ttl", "1h"}, now.Add(50 * time.Minute), 0, checkpoint.ErrExpired},
		{"printed ttl 30 days is capped", []string{"--ttl", "720h", "--kind", "printed"}, now.Add(8 * 24 * time.Hour), 0, checkpoint.ErrExpired},
		{"already expired", []string{"--ttl", "-1h"}, now, 10 * time.Minute, checkpoint.ErrExpired},
		{"printed already expired", []string{"--ttl", "-1h", "--kind", "printed"}, now, 0, checkpoint.ErrExpired},
	}
	for _, tt := range tests {
		code, out, errs := dispatchTest(t, append(base, tt.args...)...)
		if code != 0 {
			t.Fatalf("%s: issue-code = %d, %q", tt.name, code, errs)
		}
		c, err := checkpoint.Verify(out, trust, nil, tt.at, checkpoint.DefaultConfig())
		if tt.wantErr != nil {
			if err == nil || checkpoint.ErrorKind(err) != checkpoint.ErrorKind(tt.wantErr) {
				t.Errorf("%s: Verify = %v; want %v", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.ExpiresAt.Sub(c.IssuedAt) != tt.wantTTL {
			t.Errorf("%s: Verify = %+v, %v; want ttl %v", tt.name, c, err, tt.wantTTL)
		}
	}
}

func TestIssueCodeErrors(t *testing.T) {
	dir, _ := keygenDir(t)
	key := filepath.Join(dir, "issuer.key")
	ok := map[string]string{"--key": key, "--name": "张三", "--id": "220221199001011233", "--household": "220221", "--status": "green"}
	args := func(edit map[string]string) []string {
		a := []string{"issue-code"}
		for _, f := range []string{"--key", "--name", "--id", "--household", "--status", "--ttl", "--kind", "--now", "--reason"} {
			v, set := edit[f]
			if !set {
				v, set = ok[f]
			}
			if set && v != "<none>" {
				a = append(a, f, v)
			}
		}
		return a
	}
	tests := []struct {
		name string
		edit map[string]string
		code int
		msg  string
	}{
		{"id check character", map[string]string{"--id": "220221199001011234"}, 2, "check character"},
		{"id date", map[string]string{"--id": "220221199002301233"}, 2, "birth date"},
		{"id length", map[string]string{"--id": "2202211990"}, 2, "18 characters"},
		{"household", map[string]string{"--household": "2202"}, 2, "--household"},
		{"status", map[string]string{"--status": "blue"}, 2, "--status"},
		{"kind", map[string]string{"--kind": "paper"}, 2, "--kind"},
		{"ttl", map[string]string{"--ttl": "ten minutes"}, 2, "--ttl"},
		{"now", map[string]string{"--now": "yesterday"}, 2, "--now"},
		{"name", map[string]string{"--name": "张三3"}, 2, "--name"},
		{"missing name", map[string]string{"--name": "<none>"}, 2, "usage"},
		{"missing key", map[string]string{"--key": "<none>"}, 2, "usage"},
		{"unreadable key", map[string]string{"--key": filepath.Join(dir, "nope.key")}, 1, "nope.key"},
		{"not a key file", map[string]string{"--key": filepath.Join(dir, "trust.json")}, 1, "issuer key"},
		{"reason too long", map[string]string{"--reason": strings.Repeat("密", 17)}, 2, "--reason"},
		{"reason with spaces", map[string]string{"--reason": " 密接"}, 2, "--reason"},
		{"before key validity", map[string]string{"--now": "2000-01-01T00:00:00+08:00"}, 1, "not valid"},
	}
	for _, tt := range tests {
		code, out, errs := dispatchTest(t, args(tt.edit)...)
		if code != tt.code || out != "" || !strings.Contains(errs, tt.msg) {
			t.Errorf("%s: issue-code = %d, stdout %q, stderr %q; want %d and %q", tt.name, code, out, errs, tt.code, tt.msg)
		}
	}
}

// TestIssueCodeHousehold: --household is the household in the code; without it, the ID
// number's region.
func TestIssueCodeHousehold(t *testing.T) {
	dir, trust := keygenDir(t)
	base := []string{"issue-code", "--key", filepath.Join(dir, "issuer.key"), "--name", "张三", "--id", "11010519491231002x", "--status", "green"}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "110105"},
		{[]string{"--household", "220221"}, "220221"},
	} {
		code, out, errs := dispatchTest(t, append(slices.Clone(base), tt.args...)...)
		if code != 0 {
			t.Fatalf("issue-code %q = %d, %q", tt.args, code, errs)
		}
		c, err := checkpoint.Verify(out, trust, nil, time.Now(), checkpoint.DefaultConfig())
		if err != nil || c.Household != tt.want {
			t.Errorf("issue-code %q: household %q, %v; want %s", tt.args, c.Household, err, tt.want)
		}
	}
}
