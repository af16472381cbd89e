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
	register("db", "database upkeep: restored (give HQ a new epoch after a restore from backup)", runDB)
}

const dbUsage = "usage: hq db restored --db DSN"

// runDB dispatches "hq db SUB". "restored" gives HQ a new epoch: run it on the restored database
// before starting HQ on it, so that kiosks notice, pull everything again and resend what they
// still hold (docs/HQ.md "Backup").
func runDB(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "restored" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(stdout, dbUsage)
			return 0
		}
		fmt.Fprintln(stderr, "hq db: 参数错误 usage error: "+dbUsage)
		return 2
	}
	fs := flag.NewFlagSet("db restored", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dsn := fs.String("db", envOr("CHECKPOINT_HQ_DB", defaultDSN), "database: sqlite:PATH or postgres://…")
	err := fs.Parse(args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, dbUsage)
		return 0
	}
	if err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "hq db restored: 参数错误 usage error: "+dbUsage)
		return 2
	}
	db, err := sqldb.Open(ctx, *dsn)
	if err != nil {
		fmt.Fprintf(stderr, "hq db restored: %v\n", err)
		return 1
	}
	defer db.Close()
	epoch, err := hq.Restored(ctx, db)
	if err != nil {
		fmt.Fprintf(stderr, "hq db restored: %v\n", err)
		return 1
	}
	b, _ := json.Marshal(map[string]string{"epoch": epoch})
	fmt.Fprintln(stdout, string(b))
	return 0
}
