package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/yongji-county/checkpoint"
)

func init() {
	register("keygen", "create an issuing key: DIR/issuer.key and DIR/trust.json", runKeygen)
}

// runKeygen writes a new Ed25519 issuing key to DIR/issuer.key (mode 0600) and a trust list
// holding its public key to DIR/trust.json. It refuses to replace an existing issuer.key without
// --force. The key's window starts a day back by default, so that a test code issued already
// expired (issue-code --ttl -1h) verifies as expired rather than as signed by an unknown key.
func runKeygen(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "output `DIR` (required)")
	kid := fs.String("kid", "", "key id, 1-16 of [A-Za-z0-9._-] (default: derived from the public key)")
	notBeforeText := fs.String("not-before", "", "start of the key's window, RFC 3339 (default: 24h ago)")
	valid := fs.Duration("valid", 365*24*time.Hour, "how long after now the key may issue codes (0: no end)")
	force := fs.Bool("force", false, "replace an existing issuer.key")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() != 0 || *valid < 0 {
		fmt.Fprintln(stderr, "hq keygen: usage: hq keygen --out DIR [--kid ID] [--not-before RFC3339] [--valid DURATION] [--force]")
		return 2
	}
	now := time.Now().In(checkpoint.ChinaTime).Truncate(time.Second)
	notBefore := now.Add(-24 * time.Hour)
	if *notBeforeText != "" {
		t, err := time.Parse(time.RFC3339, *notBeforeText)
		if err != nil {
			fmt.Fprintf(stderr, "hq keygen: --not-before: %v\n", err)
			return 2
		}
		notBefore = t
	}
	var notAfter time.Time
	if *valid > 0 {
		notAfter = now.Add(*valid)
	}
	key, err := checkpoint.GenerateIssuerKey(*kid, notBefore, notAfter)
	if err != nil {
		fmt.Fprintf(stderr, "hq keygen: %v\n", err)
		return 2
	}
	if err := writeKeyFiles(*out, key, *force); err != nil {
		fmt.Fprintf(stderr, "hq keygen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "key %s: wrote %s and %s\n", key.KID,
		filepath.Join(*out, "issuer.key"), filepath.Join(*out, "trust.json"))
	return 0
}

func writeKeyFiles(dir string, key checkpoint.IssuerKey, force bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	keyJSON, err := json.MarshalIndent(key, "", "  ")
	if err != nil {
		return err
	}
	trust := checkpoint.TrustList{Version: 1, Keys: []checkpoint.TrustedKey{key.TrustedKey()}}
	trustJSON, err := json.MarshalIndent(trust, "", "  ")
	if err != nil {
		return err
	}
	keyPath := filepath.Join(dir, "issuer.key")
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(keyPath, flags, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s exists; use --force to replace it (codes signed by the old key will stop verifying)", keyPath)
	}
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil { // an existing file replaced with --force keeps its mode otherwise
		f.Close()
		return err
	}
	if _, err := f.Write(append(keyJSON, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "trust.json"), append(trustJSON, '\n'), 0o644)
}
