package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/internal/cli"
)

func init() {
	register("db", "database upkeep: distribute (Citus), expire (retention), partitions, restored (after a restore)", runDB)
}

var dbCommands = func() *cli.Set {
	s := cli.New("hq db", "usage: hq db COMMAND --db DSN [FLAGS]", "")
	s.Register("distribute", "place HQ's tables on a Citus cluster (idempotent; nothing to do on plain PostgreSQL)", runDistribute)
	s.Register("expire", "remove the records made before --before YYYY-MM (drops monthly partitions on PostgreSQL; keeps held records)", runExpire)
	s.Register("partitions", "list the monthly partitions of records with their row counts (PostgreSQL)", runPartitions)
	s.Register("restored", "give HQ a new epoch after a restore from backup, so kiosks pull again and resend what they hold", runRestored)
	return s
}()

func runDB(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return dbCommands.Dispatch(ctx, args, stdout, stderr)
}

// openDB parses the flags of `hq db NAME` (--db plus what extra adds) and opens the database;
// code is the exit code to return when db is nil.
func openDB(ctx context.Context, name, usage string, args []string, stdout, stderr io.Writer, extra func(*flag.FlagSet)) (db *sqldb.DB, code int) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dsn := fs.String("db", envOr("CHECKPOINT_HQ_DB", defaultDSN), "database: sqlite:PATH or postgres://…")
	if extra != nil {
		extra(fs)
	}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, "usage: "+usage)
		return nil, 0
	}
	if err != nil || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: 参数错误 usage error: %s\n", name, usage)
		return nil, 2
	}
	db, err = sqldb.Open(ctx, *dsn)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return nil, 1
	}
	return db, 0
}

// runDistribute places HQ's tables on Citus as sqldb.Plan says, one line per table.
func runDistribute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "hq db distribute"
	db, code := openDB(ctx, name, name+" --db DSN", args, stdout, stderr, nil)
	if db == nil {
		return code
	}
	defer db.Close()
	if db.Backend() != "postgres" {
		fmt.Fprintln(stderr, name+": distribution needs PostgreSQL with the Citus extension; this database is SQLite")
		return 1
	}
	v, err := db.Citus(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	if v == "" {
		fmt.Fprintln(stdout, name+": PostgreSQL without the citus extension: nothing to do (one server holds every table)")
		return 0
	}
	fmt.Fprintf(stdout, "%s: Citus %s\n", name, v)
	steps, err := db.Distribute(ctx)
	for _, s := range steps {
		fmt.Fprintln(stdout, s)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}

// runExpire removes the records made before a month, keeping held ones, and says what it did.
func runExpire(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "hq db expire"
	const usage = name + " --db DSN --before YYYY-MM"
	var before string
	db, code := openDB(ctx, name, usage, args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&before, "before", "", "remove the records made before this month (YYYY-MM, UTC)")
	})
	if db == nil {
		return code
	}
	defer db.Close()
	m, err := time.Parse("2006-01", before)
	if err != nil {
		fmt.Fprintf(stderr, "%s: 参数错误 usage error: --before wants YYYY-MM (got %q): %s\n", name, before, usage)
		return 2
	}
	if now := time.Now().UTC(); m.After(time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)) {
		fmt.Fprintf(stderr, "%s: --before %s is after the current month: refusing to remove records that are not yet past\n", name, before)
		return 2
	}
	e, err := db.ExpireRecords(ctx, m)
	for _, p := range e.Dropped {
		fmt.Fprintf(stdout, "dropped %s\n", p)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	fmt.Fprintf(stdout, "records before %s: %d partition(s) dropped, %d row(s) deleted\n", before, len(e.Dropped), e.Deleted)
	if e.MovedHeld > 0 {
		fmt.Fprintf(stdout, "moved %d held record(s) from dropped partitions to records_default\n", e.MovedHeld)
	}
	if e.KeptHeld > 0 {
		fmt.Fprintf(stdout, "kept %d held record(s) made before %s: they stay while held (hq held lists them); a later expiry removes them once they are not\n", e.KeptHeld, before)
	}
	return 0
}

// runPartitions lists records' partitions, one line each.
func runPartitions(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "hq db partitions"
	db, code := openDB(ctx, name, name+" --db DSN", args, stdout, stderr, nil)
	if db == nil {
		return code
	}
	defer db.Close()
	if db.Backend() != "postgres" {
		fmt.Fprintln(stdout, name+": SQLite keeps records in one table")
		return 0
	}
	ps, err := db.Partitions(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	for _, p := range ps {
		fmt.Fprintf(stdout, "%s\t%d rows\t%d held\n", p.Name, p.Rows, p.Held)
	}
	return 0
}

// runRestored gives HQ a new epoch: run it on the restored database before starting HQ on it,
// so that kiosks notice, pull everything again and resend what they still hold (docs/HQ.md
// "Backup"). It prints {"epoch":"…"}.
func runRestored(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "hq db restored"
	db, code := openDB(ctx, name, name+" --db DSN", args, stdout, stderr, nil)
	if db == nil {
		return code
	}
	defer db.Close()
	epoch, err := hq.Restored(ctx, db)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	b, _ := json.Marshal(map[string]string{"epoch": epoch})
	fmt.Fprintln(stdout, string(b))
	return 0
}
