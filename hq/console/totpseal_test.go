package console

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTOTPSealedAtRest: the SQLite file (with its WAL) holds no operator's base32 TOTP secret,
// only the sealed one; a sealed secret moved to another operator does not open; a plain secret
// of an older HQ still logs in and is sealed in its place.
func TestTOTPSealedAtRest(t *testing.T) {
	e := newTenv(t, false)
	ctx := context.Background()
	secret := e.setup("zhang", RoleAdmin, "correct horse battery")
	c := e.client()
	if r := e.login(c, "zhang", "correct horse battery", secret); r.status != http.StatusSeeOther {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	e.clk.Add(30 * time.Second)
	o, err := e.core.DB().Operator(ctx, "zhang")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(o.TOTPSecret, sealedTOTP) || strings.Contains(o.TOTPSecret, secret) {
		t.Fatalf("stored secret is not sealed: %q", o.TOTPSecret)
	}
	e.core.Close() // flush the WAL into the file
	dir := filepath.Dir(strings.TrimPrefix(e.dsn, "sqlite:"))
	files, _ := filepath.Glob(filepath.Join(dir, "hq.db*"))
	if len(files) == 0 {
		t.Fatal("no SQLite file")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(secret[:16])) {
			t.Fatalf("%s holds the base32 TOTP secret", filepath.Base(f))
		}
	}
	if got, _, err := e.h.acc.openTOTP(ctx, "li", o.TOTPSecret); err == nil {
		t.Fatalf("zhang's sealed secret opened for li: %q", got)
	}
}

// TestTOTPPlainMigrated: an operator whose secret is stored plain (an older HQ) logs in, and
// the secret is then stored sealed.
func TestTOTPPlainMigrated(t *testing.T) {
	e := newTenv(t, false)
	ctx := context.Background()
	secret := e.setup("wang", RoleOps, "correct horse battery")
	o, _ := e.core.DB().Operator(ctx, "wang")
	if err := e.core.DB().ReplaceOperatorTOTPSecret(ctx, "wang", o.TOTPSecret, secret, e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if o, _ = e.core.DB().Operator(ctx, "wang"); o.TOTPSecret != secret {
		t.Fatal("the plain secret was not stored")
	}
	if r := e.login(e.client(), "wang", "correct horse battery", secret); r.status != http.StatusSeeOther {
		t.Fatalf("login with a plain stored secret: %d %s", r.status, r.body)
	}
	e.clk.Add(30 * time.Second)
	o, _ = e.core.DB().Operator(ctx, "wang")
	if !strings.HasPrefix(o.TOTPSecret, sealedTOTP) {
		t.Fatalf("plain secret not sealed after login: %q", o.TOTPSecret)
	}
	if r := e.login(e.client(), "wang", "correct horse battery", secret); r.status != http.StatusSeeOther {
		t.Fatalf("login after sealing: %d %s", r.status, r.body)
	}
}
