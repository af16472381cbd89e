package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

func init() {
	register("quarantine", "list, export or requeue the records HQ refused (list|export|requeue --data DIR)", runQuarantine)
}

// quarantineReason is a quarantined record's reason in words: HQ's message when it sent one,
// else the words for its code.
func quarantineReason(q store.QuarantinedRecord) string {
	return sync.QuarantineReason(q.Error, q.Message)
}

// runQuarantine is the supervisor's view of the records HQ refused, for scripts:
//
//	kiosk quarantine list    --data DIR                     one JSON line: {"count":N,"records":[…]}
//	kiosk quarantine export  --data DIR --out FILE          JSON lines, one record with its envelope each
//	kiosk quarantine requeue --data DIR (--all | ID …)      put them back in the queue: {"requeued":N}
//
// An export holds masked values and sealed boxes only, like the outbox itself; it is the copy a
// supervisor hands to HQ when a record cannot be sent.
func runQuarantine(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const usage = "kiosk quarantine: usage: kiosk quarantine list|export|requeue --data DIR [--out FILE] [--all | ID ...]"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	verb := args[0]
	fs := flag.NewFlagSet("quarantine "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "", "kiosk data directory (holds kiosk.db)")
	outPath := fs.String("out", "", "export: file to write (JSON lines)")
	all := fs.Bool("all", false, "requeue: every quarantined record")
	if err := fs.Parse(args[1:]); err != nil || *data == "" {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	switch {
	case verb == "list" && fs.NArg() == 0 && *outPath == "" && !*all,
		verb == "export" && fs.NArg() == 0 && *outPath != "" && !*all,
		verb == "requeue" && *outPath == "" && (*all != (fs.NArg() > 0)):
	default:
		fmt.Fprintln(stderr, usage)
		return 2
	}
	db, ok := openKiosk(ctx, "kiosk quarantine", *data, stderr)
	if !ok {
		return 1
	}
	defer db.Close()
	recs, err := db.Quarantined(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "kiosk quarantine: %v\n", err)
		return 1
	}
	switch verb {
	case "list":
		out := struct {
			Count   int                    `json:"count"`
			Records []store.QuarantineLine `json:"records"`
		}{Count: len(recs), Records: []store.QuarantineLine{}}
		for _, q := range recs {
			l := q.Line(false)
			l.Message = quarantineReason(q) // HQ's words, or the words for its code
			out.Records = append(out.Records, l)
		}
		return writeJSONLine(stdout, stderr, out)
	case "export":
		n, err := db.ExportQuarantined(ctx, *outPath)
		if err != nil {
			fmt.Fprintf(stderr, "kiosk quarantine: %v\n", err)
			return 1
		}
		return writeJSONLine(stdout, stderr, map[string]any{"exported": n, "file": *outPath})
	}
	ids := fs.Args()
	if *all {
		ids = nil
		for _, q := range recs {
			ids = append(ids, q.ID)
		}
	}
	n, code := 0, 0
	for _, id := range ids {
		if err := db.Requeue(ctx, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				fmt.Fprintf(stderr, "kiosk quarantine: 记录 %s 不在隔离区 / record %s is not quarantined\n", id, id)
			} else {
				fmt.Fprintf(stderr, "kiosk quarantine: %v\n", err)
			}
			code = 1
			continue
		}
		n++
	}
	if rc := writeJSONLine(stdout, stderr, map[string]int{"requeued": n}); rc != 0 {
		return rc
	}
	return code
}
