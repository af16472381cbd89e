package hq

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

func TestConfigSigned(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		var c checkpoint.ConfigResponse
		if st := e.do("GET", "/api/v1/config", devAuth(e.devA), nil, &c); st != 200 || len(c.Datasets) != len(checkpoint.Datasets) {
			t.Fatalf("config: %d, %d datasets", st, len(c.Datasets))
		}
		if !e.devA.RootKey.Equal(e.root.Public().(ed25519.PublicKey)) {
			t.Fatalf("enroll answer root = %x; want HQ's", e.devA.RootKey)
		}
		epoch, _ := e.srv.Epoch(context.Background())
		for _, env := range c.Datasets {
			p, err := env.Verify(checkpoint.DatasetCheck{Root: e.devA.RootKey, DeviceID: e.devA.DeviceID})
			if err != nil || p.Epoch != epoch || epoch == "" || time.Since(p.IssuedAt) > time.Minute {
				t.Errorf("%s: %+v, %v", env.Name, p, err)
			}
			if _, err := env.Verify(checkpoint.DatasetCheck{Root: e.devA.RootKey, DeviceID: e.devB.DeviceID}); !errors.Is(err, checkpoint.ErrEnvelopeDevice) {
				t.Errorf("%s for device B: %v; want ErrEnvelopeDevice", env.Name, err)
			}
		}
	})
}

func TestEnrollCodeCarriesRoot(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/hq.db", Config{})
	ctx := context.Background()
	code, err := e.srv.CreateEnrollCode(ctx, "a", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, id, err := checkpoint.SplitEnrollCode(code.Code)
	if err != nil || id != checkpoint.RootID(e.root.Public().(ed25519.PublicKey)) || code.RootID != id {
		t.Fatalf("code %q: fingerprint %q (%v); want HQ's root", code.Code, id, err)
	}
	// A typo in the fingerprint part is refused without spending the code.
	other := checkpoint.RootID(testRoot(t).Public().(ed25519.PublicKey))
	secret, _, _ := checkpoint.SplitEnrollCode(code.Code)
	var er checkpoint.ErrorResponse
	if st := e.do("POST", "/api/v1/enroll", "", checkpoint.EnrollRequest{Code: checkpoint.FormatEnrollCode(secret, other)}, &er); st != 403 || er.Error != "enroll_root_mismatch" {
		t.Fatalf("wrong fingerprint: %d %+v", st, er)
	}
	// A code without a fingerprint (an older HQ's) is refused.
	if st := e.do("POST", "/api/v1/enroll", "", checkpoint.EnrollRequest{Code: secret}, &er); st != 403 {
		t.Fatalf("code without fingerprint: %d", st)
	}
	var resp checkpoint.EnrollResponse
	if st := e.do("POST", "/api/v1/enroll", "", checkpoint.EnrollRequest{Code: code.Code}, &resp); st != 200 {
		t.Fatalf("right code after a typo: %d", st)
	}
}

func TestRootKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", RootKeyFileName)
	k, created, err := LoadOrCreateRootKey(path)
	if err != nil || !created {
		t.Fatalf("first LoadOrCreateRootKey: %v, created %v", err, created)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %04o; want 0600", fi.Mode().Perm())
	}
	k2, created, err := LoadOrCreateRootKey(path)
	if err != nil || created || !k2.Equal(k) {
		t.Fatalf("second LoadOrCreateRootKey: %v, created %v, same %v", err, created, k2.Equal(k))
	}
	os.Chmod(path, 0o640)
	if _, err := LoadRootKey(path); !errors.Is(err, ErrRootKeyMode) || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("group-readable key file: %v; want ErrRootKeyMode", err)
	}
	if _, _, err := LoadOrCreateRootKey(path); !errors.Is(err, ErrRootKeyMode) {
		t.Fatalf("LoadOrCreateRootKey on a group-readable file: %v", err)
	}
	seed := base64.StdEncoding.EncodeToString(k.Seed())
	if k3, err := ParseRootKeySeed(seed); err != nil || !k3.Equal(k) {
		t.Fatalf("ParseRootKeySeed: %v", err)
	}
	if _, err := ParseRootKeySeed("c2hvcnQ="); err == nil {
		t.Fatal("short seed accepted")
	}
}

func TestRootRotation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		ctx := context.Background()
		oldPub := e.root.Public().(ed25519.PublicKey)
		next := testRoot(t)
		if err := RotateRoot(ctx, e.srv.db, testRoot(t), next, time.Now()); !errors.Is(err, ErrRootMismatch) {
			t.Fatalf("rotate with a key that is not the root: %v", err)
		}
		if err := RotateRoot(ctx, e.srv.db, e.root, next, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := RotateRoot(ctx, e.srv.db, e.root, testRoot(t), time.Now()); !errors.Is(err, ErrRootMismatch) {
			t.Fatalf("rotate from the old root again: %v", err)
		}
		// The running instance still holds the old key: it stops signing.
		var er checkpoint.ErrorResponse
		if st := e.do("GET", "/api/v1/config", devAuth(e.devA), nil, &er); st != 503 || er.Error != "root_rotated" {
			t.Fatalf("config from the old key: %d %+v", st, er)
		}
		if _, err := New(Config{DB: e.srv.db, RootKey: e.root}); !errors.Is(err, ErrRootMismatch) {
			t.Fatalf("start with the rotated-out key: %v", err)
		}
		if _, err := New(Config{DB: e.srv.db, RootKey: testRoot(t)}); !errors.Is(err, ErrRootMismatch) {
			t.Fatalf("start with a stranger's key: %v", err)
		}
		srv, err := New(Config{DB: e.srv.db, RootKey: next})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		e.srv = srv
		e.ts.Config.Handler = srv.Handler()
		var c checkpoint.ConfigResponse
		if st := e.do("GET", "/api/v1/config", devAuth(e.devA), nil, &c); st != 200 || len(c.RootChain) != 1 {
			t.Fatalf("config after rotation: %d, chain %d", st, len(c.RootChain))
		}
		pinned, err := checkpoint.FollowRootChain(oldPub, c.RootChain)
		if err != nil || !pinned.Equal(next.Public().(ed25519.PublicKey)) {
			t.Fatalf("kiosk pinned to the old root follows to %s (%v)", checkpoint.RootID(pinned), err)
		}
		if _, err := c.Datasets[0].Verify(checkpoint.DatasetCheck{Root: pinned, DeviceID: e.devA.DeviceID}); err != nil {
			t.Fatalf("dataset from the new root: %v", err)
		}
		// A code made before the rotation still enrolls: its fingerprint names the old root.
		id, _ := srv.RootID(ctx)
		if id != checkpoint.RootID(next.Public().(ed25519.PublicKey)) {
			t.Fatalf("RootID after rotation = %s", id)
		}
	})
}
