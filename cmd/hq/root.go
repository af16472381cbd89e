package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

func init() {
	register("root", "HQ's root signing key: keygen, show, rotate", runRoot)
}

const rootUsage = `usage:
  hq root keygen --out FILE                         make a root key file (mode 0600)
  hq root show   [--db DSN]                         print the root chain's fingerprints
  hq root rotate [--db DSN] --root-key FILE --new-key FILE
                                                    make FILE of --new-key (created if missing) the root,
                                                    signed over by the current one; then restart hq serve
                                                    with --root-key set to the new file`

// runRoot manages the root key. The private root key never enters the database: rotate reads
// both key files and stores only the new public key and the link the old key signed.
func runRoot(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, rootUsage)
		return 2
	}
	fs := flag.NewFlagSet("root "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dsn := fs.String("db", envOr("CHECKPOINT_HQ_DB", defaultDSN), "database: sqlite:PATH or postgres://…")
	out := fs.String("out", "", "root key file to write")
	oldPath := fs.String("root-key", "", "the current root key file")
	newPath := fs.String("new-key", "", "the new root key file (made if missing)")
	err := fs.Parse(args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, rootUsage)
		return 0
	}
	if err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, rootUsage)
		return 2
	}
	switch args[0] {
	case "keygen":
		if *out == "" {
			fmt.Fprintln(stderr, rootUsage)
			return 2
		}
		k, err := checkpoint.GenerateRootKey()
		if err == nil {
			err = hq.WriteRootKey(*out, k)
		}
		if err != nil {
			fmt.Fprintf(stderr, "hq root keygen: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "root key %s: wrote %s\n", checkpoint.RootID(k.Public().(ed25519.PublicKey)), *out)
		return 0
	case "show":
		db, err := sqldb.Open(ctx, *dsn)
		if err != nil {
			fmt.Fprintf(stderr, "hq root show: %v\n", err)
			return 1
		}
		defer db.Close()
		keys, err := db.RootKeys(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "hq root show: %v\n", err)
			return 1
		}
		for _, k := range keys {
			fmt.Fprintf(stdout, "%d %s %s\n", k.Seq, checkpoint.RootID(k.Public), k.CreatedAt.Format(time.RFC3339))
		}
		return 0
	case "rotate":
		if *oldPath == "" || *newPath == "" {
			fmt.Fprintln(stderr, rootUsage)
			return 2
		}
		old, err := hq.LoadRootKey(*oldPath)
		if err != nil {
			fmt.Fprintf(stderr, "hq root rotate: %v\n", err)
			return 1
		}
		next, _, err := hq.LoadOrCreateRootKey(*newPath)
		if err != nil {
			fmt.Fprintf(stderr, "hq root rotate: %v\n", err)
			return 1
		}
		db, err := sqldb.Open(ctx, *dsn)
		if err != nil {
			fmt.Fprintf(stderr, "hq root rotate: %v\n", err)
			return 1
		}
		defer db.Close()
		if err := hq.RotateRoot(ctx, db, old, next, time.Now()); err != nil {
			fmt.Fprintf(stderr, "hq root rotate: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "root %s → %s; restart hq serve with --root-key %s\n",
			checkpoint.RootID(old.Public().(ed25519.PublicKey)), checkpoint.RootID(next.Public().(ed25519.PublicKey)), *newPath)
		return 0
	}
	fmt.Fprintln(stderr, rootUsage)
	return 2
}
