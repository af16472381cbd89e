package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/yongji-county/checkpoint/hq/sqldb"
)

func init() {
	register("rechecks", "list no-code records of people not green at HQ, one JSON object a line", runRechecks)
}

func runRechecks(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rechecks", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dsn := fs.String("db", envOr("CHECKPOINT_HQ_DB", defaultDSN), "database: sqlite:PATH or postgres://…")
	limit := fs.Int("limit", 100, "newest N records (1 to 1000)")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, "usage: hq rechecks --db DSN [--limit N]")
		return 0
	}
	if err != nil || fs.NArg() > 0 || *limit < 1 || *limit > 1000 {
		fmt.Fprintln(stderr, "hq rechecks: 参数错误 usage error: hq rechecks --db DSN [--limit 1..1000]")
		return 2
	}
	db, err := sqldb.Open(ctx, *dsn)
	if err != nil {
		fmt.Fprintf(stderr, "hq rechecks: %v\n", err)
		return 1
	}
	defer db.Close()
	list, err := db.Rechecks(ctx, *limit)
	if err != nil {
		fmt.Fprintf(stderr, "hq rechecks: %v\n", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	for _, r := range list {
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(stderr, "hq rechecks: %v\n", err)
			return 1
		}
	}
	return 0
}
