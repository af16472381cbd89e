package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/yongji-county/checkpoint"
)

func init() {
	register("notices", "list the edits HQ did not apply (superseded by a newer version) (--data DIR)", runNotices)
}

// noticeJSON is one notice in `kiosk notices`.
type noticeJSON struct {
	RecordID string                `json:"record_id"`
	Kind     checkpoint.RecordKind `json:"kind"`
	ID       string                `json:"id"`   // the site or staff account edited
	Name     string                `json:"name"` // as the edit named it
	Status   string                `json:"status"`
	Message  string                `json:"message"` // HQ's words, Chinese then English
	At       time.Time             `json:"at"`
}

// runNotices lists the supervisor's edits HQ answered superseded, newest first:
//
//	kiosk notices --data DIR      one JSON line: {"count":N,"notices":[…]}
func runNotices(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const usage = "kiosk notices: usage: kiosk notices --data DIR"
	fs := flag.NewFlagSet("notices", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "", "kiosk data directory (holds kiosk.db)")
	if err := fs.Parse(args); err != nil || *data == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	db, ok := openKiosk(ctx, "kiosk notices", *data, stderr)
	if !ok {
		return 1
	}
	defer db.Close()
	list, err := db.Notices(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "kiosk notices: %v\n", err)
		return 1
	}
	out := struct {
		Count   int          `json:"count"`
		Notices []noticeJSON `json:"notices"`
	}{Count: len(list), Notices: []noticeJSON{}}
	for _, n := range list {
		out.Notices = append(out.Notices, noticeJSON{RecordID: n.RecordID, Kind: n.Kind, ID: n.SubjectID, Name: n.SubjectName,
			Status: n.Code, Message: n.Message, At: n.At.UTC()})
	}
	return writeJSONLine(stdout, stderr, out)
}
