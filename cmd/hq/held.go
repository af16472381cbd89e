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
	register("held", "list the records HQ holds without having accepted them, one JSON line each", runHeld)
}

// runHeld prints every held record (id, kind, device, site, staff, times, reason) as one JSON
// line each, oldest id first: the operator's list of what kiosks handed in that HQ could not
// accept (a staff member not on the roster, a site outside the device's tree, …).
func runHeld(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("held", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dsn := fs.String("db", envOr("CHECKPOINT_HQ_DB", defaultDSN), "database: sqlite:PATH or postgres://…")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, "usage: hq held --db DSN")
		return 0
	}
	if err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "hq held: 参数错误 usage error: hq held --db DSN")
		return 2
	}
	db, err := sqldb.Open(ctx, *dsn)
	if err != nil {
		fmt.Fprintf(stderr, "hq held: %v\n", err)
		return 1
	}
	defer db.Close()
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	after := ""
	for {
		page, err := db.Held(ctx, after, 1000)
		if err != nil {
			fmt.Fprintf(stderr, "hq held: %v\n", err)
			return 1
		}
		for _, h := range page {
			if err := enc.Encode(h); err != nil {
				fmt.Fprintf(stderr, "hq held: %v\n", err)
				return 1
			}
		}
		if len(page) < 1000 {
			return 0
		}
		after = page[len(page)-1].ID
	}
}
