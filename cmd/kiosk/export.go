package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/export"
	"github.com/yongji-county/checkpoint/store"
)

func init() {
	register("export", "export the local check log to .xlsx or .csv (masked)", runExport)
}

// exportOutput is the one-line JSON summary "kiosk export" prints.
type exportOutput struct {
	Rows int    `json:"rows"`
	Out  string `json:"out"`
}

// runExport writes the log to an Excel or CSV file. Personal data is masked: the kiosk holds
// full ID and phone numbers only sealed to HQ's key, so it cannot export them. Text cells that
// a spreadsheet would run as a formula are neutralised.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "", "kiosk data directory (holds kiosk.db)")
	out := fs.String("out", "", "output file, .xlsx or .csv")
	from := fs.String("from", "", "first day (YYYY-MM-DD, China time) or RFC 3339 time")
	to := fs.String("to", "", "last day, inclusive (YYYY-MM-DD) or RFC 3339 time, exclusive")
	verdict := fs.String("verdict", "", "only this verdict")
	const usage = "kiosk export: usage: kiosk export --data DIR --out FILE.xlsx|FILE.csv [--from DAY] [--to DAY] [--verdict V]"
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *data == "" || *out == "" {
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "kiosk export: %v\n", err)
		}
		fmt.Fprintln(stderr, usage)
		return 2
	}
	f := store.LogFilter{Verdict: *verdict}
	var err error
	if f.From, err = parseDay(*from, false); err != nil {
		fmt.Fprintf(stderr, "kiosk export: --from: %v\n", err)
		return 2
	}
	if f.To, err = parseDay(*to, true); err != nil {
		fmt.Fprintf(stderr, "kiosk export: --to: %v\n", err)
		return 2
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if ext != ".xlsx" && ext != ".csv" {
		fmt.Fprintln(stderr, "kiosk export: --out must end in .xlsx or .csv")
		return 2
	}
	db, ok := openKiosk(ctx, "kiosk export", *data, stderr)
	if !ok {
		return 1
	}
	defer db.Close()
	var n int
	if ext == ".csv" {
		n, err = export.CSV(ctx, db, f, *out)
	} else {
		n, err = export.XLSX(ctx, db, f, *out)
	}
	if err != nil {
		os.Remove(*out)
		fmt.Fprintf(stderr, "kiosk export: %v\n", err)
		return 1
	}
	return writeJSONLine(stdout, stderr, exportOutput{Rows: n, Out: *out})
}

// parseDay reads a YYYY-MM-DD day in China time (the end of the day when end is set, so --to
// includes its day) or an RFC 3339 time. Empty means no bound.
func parseDay(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseInLocation("2006-01-02", s, checkpoint.ChinaTime); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	return time.Parse(time.RFC3339, s)
}

// neutralise is export.Neutralise, kept here for the command's tests.
func neutralise(s string) string { return export.Neutralise(s) }
