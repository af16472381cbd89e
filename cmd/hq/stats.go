package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

func init() {
	register("stats", "print record counts per kind and rejection counters as JSON", runStats)
}

func runStats(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dsn := fs.String("db", envOr("CHECKPOINT_HQ_DB", defaultDSN), "database: sqlite:PATH or postgres://…")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, "usage: hq stats --db DSN")
		return 0
	}
	if err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "hq stats: 参数错误 usage error: hq stats --db DSN")
		return 2
	}
	db, err := sqldb.Open(ctx, *dsn)
	if err != nil {
		fmt.Fprintf(stderr, "hq stats: %v\n", err)
		return 1
	}
	defer db.Close()
	st, err := hq.ReadStats(ctx, db)
	if err != nil {
		fmt.Fprintf(stderr, "hq stats: %v\n", err)
		return 1
	}
	b, _ := json.Marshal(st)
	fmt.Fprintln(stdout, string(b))
	return 0
}
