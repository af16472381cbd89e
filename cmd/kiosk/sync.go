package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

func init() {
	register("sync", "one full sync with HQ: push the outbox until empty, then pull config", runSync)
}

// syncOutput is the one-line JSON summary "kiosk sync" prints. Error is empty on success and
// otherwise says what went wrong in words, Chinese first.
// Refused counts the datasets from HQ this kiosk ever refused (failed verification);
// LastRefusal says why the last one was, in words ("" when none).
type syncOutput struct {
	Pushed      int    `json:"pushed"`
	Pending     int    `json:"pending"`
	Quarantined int    `json:"quarantined"`
	Error       string `json:"error"`
	Refused     int64  `json:"refused"`
	LastRefusal string `json:"last_refusal"`
}

// runSync pushes until the outbox is empty, then pulls, retrying network failures with backoff
// until --timeout. It exits 0 only when the pull worked and nothing is left pending or
// quarantined; otherwise 1, with the counts and, for quarantined records, the first one's reason
// in words (`kiosk quarantine list` shows them all).
func runSync(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "", "kiosk data directory (holds kiosk.db)")
	hqURL := fs.String("hq", "", "HQ base URL (overrides the one saved at enrollment)")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	verbose := fs.Bool("v", false, "log each step to stderr")
	ca := fs.String("ca", "", "PEM file of CA certificates to trust for HQ's https (a private CA)")
	const usage = "kiosk sync: usage: kiosk sync --data DIR [--timeout DURATION] [--hq URL] [--ca FILE] [-v]"
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *data == "" || *timeout <= 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	if _, err := os.Stat(filepath.Join(*data, store.FileName)); err != nil {
		fmt.Fprintf(stderr, "kiosk sync: no kiosk database in %s (run kiosk enroll first)\n", *data)
		return 1
	}
	hc, err := httpClient(*ca)
	if err != nil {
		fmt.Fprintf(stderr, "kiosk sync: %v\n", err)
		return 2
	}
	logger := cliLogger(stderr, *verbose)
	db, err := store.OpenDir(ctx, *data, store.Options{Logger: logger})
	if err != nil {
		fmt.Fprintf(stderr, "kiosk sync: %v\n", err)
		return 1
	}
	defer db.Close()

	c := sync.New(db, sync.Config{BaseURL: *hqURL, Logger: logger, DeviceName: hostname(), HTTPClient: hc})
	sctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	sum, err := c.Flush(sctx)
	out := syncOutput{Pushed: sum.Pushed, Error: sync.Explain(err).String()}
	st, serr := db.OutboxStats(context.WithoutCancel(ctx))
	if serr != nil {
		err = errors.Join(err, serr)
		out.Error = sync.MsgStore.String()
	}
	out.Pending, out.Quarantined = st.Pending, st.Quarantined
	if ss, err := db.SyncState(context.WithoutCancel(ctx)); err == nil {
		out.Refused, out.LastRefusal = ss.Refused, sync.RefusalMessage(ss.LastRefusal).String()
	}
	if err == nil && out.Pending > 0 {
		// Records made while the sync ran; the next sync takes them.
		err = fmt.Errorf("%d records still pending", out.Pending)
		out.Error = "仍有记录未上传 / records still pending"
	}
	if err == nil && out.Quarantined > 0 {
		err = fmt.Errorf("%d records quarantined", out.Quarantined)
		out.Error = fmt.Sprintf("%d 条记录被隔离，需主管处理 / %d records quarantined for the supervisor", out.Quarantined, out.Quarantined)
		if q, qerr := db.Quarantined(context.WithoutCancel(ctx)); qerr == nil && len(q) > 0 {
			out.Error += "：" + quarantineReason(q[0])
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "kiosk sync: %v\n", err)
	}
	if code := writeJSONLine(stdout, stderr, out); code != 0 || err != nil {
		return 1
	}
	return 0
}

// cliLogger logs warnings (or, verbose, everything) as text to stderr. Sync logs counts and ids
// only, never personal data.
func cliLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
