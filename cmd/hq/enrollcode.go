package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/yongji-county/checkpoint/hq"
)

func init() {
	register("enroll-code", "print a one-time kiosk enrollment code for a site", runEnrollCode)
}

func runEnrollCode(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("enroll-code", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dsn := fs.String("db", envOr("CHECKPOINT_HQ_DB", defaultDSN), "database: sqlite:PATH or postgres://…")
	site := fs.String("site", "", "site id the kiosk will act for (required)")
	ttl := fs.Duration("ttl", 0, "how long the code stays usable (default 24h)")
	replaces := fs.String("replaces", "", "device id the new kiosk succeeds: HQ accepts that device's queued records from it (--site then defaults to its site)")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, "usage: hq enroll-code --db DSN --site SITE_ID [--replaces DEVICE_ID] [--ttl 24h]")
		return 0
	}
	if err != nil || fs.NArg() > 0 || (*site == "" && *replaces == "") || *ttl < 0 {
		fmt.Fprintln(stderr, "hq enroll-code: 参数错误 usage error: hq enroll-code --db DSN --site SITE_ID [--replaces DEVICE_ID] [--ttl 24h]")
		return 2
	}
	srv, err := hq.New(hq.Config{DSN: *dsn})
	if err != nil {
		fmt.Fprintf(stderr, "hq enroll-code: %v\n", err)
		return 1
	}
	defer srv.Close()
	resp, err := srv.CreateReplacementCode(ctx, *site, *replaces, *ttl)
	if err != nil {
		fmt.Fprintf(stderr, "hq enroll-code: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, resp.Code)
	return 0
}
