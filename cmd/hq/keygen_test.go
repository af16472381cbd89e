package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yongji-county/checkpoint"
)

// run calls a subcommand through dispatch, as the binary would.
func dispatchTest(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = dispatch(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := dispatchTest(t, "keygen", "--out", dir)
	if code != 0 {
		t.Fatalf("keygen = %d, stderr %q", code, errs)
	}
	keyPath, trustPath := filepath.Join(dir, "issuer.key"), filepath.Join(dir, "trust.json")
	st, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("issuer.key mode = %v; want 0600", st.Mode().Perm())
	}
	keyData, _ := os.ReadFile(keyPath)
	key, err := checkpoint.ParseIssuerKey(keyData)
	if err != nil {
		t.Fatalf("ParseIssuerKey(issuer.key) = %v", err)
	}
	trustData, _ := os.ReadFile(trustPath)
	trust, err := checkpoint.ParseTrustList(trustData)
	if err != nil {
		t.Fatalf("ParseTrustList(trust.json) = %v", err)
	}
	tk, ok := trust.Key(key.KID)
	if !ok || !tk.PublicKey.Equal(key.TrustedKey().PublicKey) || trust.Version != 1 {
		t.Errorf("trust.json = %+v; want the public key of %s", trust, key.KID)
	}
	if !strings.Contains(out, key.KID) {
		t.Errorf("keygen stdout = %q; want the kid", out)
	}

	// A second run must not overwrite the key.
	code, _, errs = dispatchTest(t, "keygen", "--out", dir)
	if code != 1 || !strings.Contains(errs, "--force") {
		t.Errorf("keygen over an existing key = %d, %q; want 1 and a hint about --force", code, errs)
	}
	if again, _ := os.ReadFile(keyPath); !bytes.Equal(again, keyData) {
		t.Errorf("keygen without --force changed issuer.key")
	}
	os.Chmod(keyPath, 0o644)
	if code, _, errs = dispatchTest(t, "keygen", "--out", dir, "--force", "--kid", "hq-2022b"); code != 0 {
		t.Fatalf("keygen --force = %d, %q", code, errs)
	}
	again, _ := os.ReadFile(keyPath)
	if bytes.Equal(again, keyData) || !strings.Contains(string(again), `"hq-2022b"`) {
		t.Errorf("keygen --force did not replace issuer.key")
	}
	if st, _ := os.Stat(keyPath); st.Mode().Perm() != 0o600 {
		t.Errorf("issuer.key mode after --force = %v; want 0600", st.Mode().Perm())
	}
}

func TestKeygenUsage(t *testing.T) {
	for _, args := range [][]string{
		{"keygen"},
		{"keygen", "--out"},
		{"keygen", "--out", t.TempDir(), "extra"},
		{"keygen", "--bogus"},
		{"keygen", "--out", t.TempDir(), "--kid", "bad kid"},
		{"keygen", "--out", t.TempDir(), "--valid", "-1h"},
	} {
		if code, _, errs := dispatchTest(t, args...); code != 2 || errs == "" {
			t.Errorf("%q = %d, stderr %q; want 2 and a message", args, code, errs)
		}
	}
}
