package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
)

// TestRootRotateCommand starts serve once (making the default root key next to the database),
// rotates with `hq root rotate`, and checks that serve then wants the new key.
func TestRootRotateCommand(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "hq.db")
	start := func(args ...string) error {
		m := &serveMain{}
		if err := m.parseFlags(append([]string{"--addr", "127.0.0.1:0", "--db", dsn}, args...), nil); err != nil {
			t.Fatal(err)
		}
		defer m.close()
		var out bytes.Buffer
		err := m.open(context.Background(), &out, slog.New(slog.DiscardHandler))
		if m.ln != nil {
			m.ln.Close()
		}
		return err
	}
	if err := start(); err != nil {
		t.Fatal(err)
	}
	oldPath := filepath.Join(dir, hq.RootKeyFileName)
	old, err := hq.LoadRootKey(oldPath)
	if err != nil {
		t.Fatalf("default root key: %v", err)
	}
	// A group-readable key file is refused with a clear message.
	os.Chmod(oldPath, 0o644)
	if err := start(); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("serve with a world-readable root key: %v", err)
	}
	os.Chmod(oldPath, 0o600)

	newPath := filepath.Join(dir, "root2.key")
	var so, se bytes.Buffer
	if rc := runRoot(context.Background(), []string{"rotate", "--db", dsn, "--root-key", oldPath, "--new-key", newPath}, &so, &se); rc != 0 {
		t.Fatalf("root rotate: %d %s", rc, se.String())
	}
	next, err := hq.LoadRootKey(newPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := start(); err == nil || !strings.Contains(err.Error(), "rotated out") {
		t.Fatalf("serve with the rotated-out key: %v", err)
	}
	if err := start("--root-key", newPath); err != nil {
		t.Fatalf("serve with the new key: %v", err)
	}
	so.Reset()
	if rc := runRoot(context.Background(), []string{"show", "--db", dsn}, &so, &se); rc != 0 ||
		!strings.Contains(so.String(), "1 "+checkpoint.RootID(old.Public().(ed25519.PublicKey))) ||
		!strings.Contains(so.String(), "2 "+checkpoint.RootID(next.Public().(ed25519.PublicKey))) {
		t.Fatalf("root show: %q %s", so.String(), se.String())
	}
	// The environment gives the key too.
	t.Setenv(hq.EnvRootKey, "not base64!")
	if err := start(); err == nil {
		t.Fatal("serve with a bad CHECKPOINT_ROOT_KEY started")
	}
}
