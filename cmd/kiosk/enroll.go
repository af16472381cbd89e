package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

func init() {
	register("enroll", "enroll this kiosk with HQ using a one-time code, then pull config", runEnroll)
}

// enrollOutput is the one-line JSON confirmation "kiosk enroll" prints.
type enrollOutput struct {
	DeviceID string `json:"device_id"`
	SiteID   string `json:"site_id"`
}

// runEnroll trades a one-time enrollment code for the kiosk's own credential, saves it in the
// store under --data and pulls the configuration (trust list, roster, sites...). The code is
// spent once HQ answers, so a failed pull afterwards does not fail the command: it is reported on
// stderr and the next "kiosk sync" (or the kiosk window) pulls.
func runEnroll(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("enroll", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "", "kiosk data directory (holds kiosk.db; created if missing)")
	hqURL := fs.String("hq", "", "HQ base URL, e.g. https://hq.example.org")
	code := fs.String("code", "", "one-time enrollment code from HQ (hq enroll-code)")
	name := fs.String("name", hostname(), "device name HQ operators see")
	timeout := fs.Duration("timeout", time.Minute, "give up after this long")
	verbose := fs.Bool("v", false, "log each step to stderr")
	ca := fs.String("ca", "", "PEM file of CA certificates to trust for HQ's https (a private CA)")
	force := fs.Bool("force", false, "enroll although records are pending and this kiosk holds no earlier credential to prove it made them")
	const usage = "kiosk enroll: usage: kiosk enroll --data DIR --hq URL --code CODE [--name NAME] [--timeout DURATION] [--ca FILE] [--force]"
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *data == "" || *hqURL == "" || *code == "" || *timeout <= 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	if err := sync.CheckHQURL(*hqURL); err != nil {
		fmt.Fprintf(stderr, "kiosk enroll: %s (%v)\n", sync.Explain(err), err)
		return 1
	}
	hc, err := httpClient(*ca)
	if err != nil {
		fmt.Fprintf(stderr, "kiosk enroll: %v\n", err)
		return 2
	}
	logger := cliLogger(stderr, *verbose)
	db, err := store.OpenDir(ctx, *data, store.Options{Logger: logger})
	if err != nil {
		fmt.Fprintf(stderr, "kiosk enroll: %v\n", err)
		return 1
	}
	defer db.Close()

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	c := sync.New(db, sync.Config{Logger: logger, DeviceName: *name, HTTPClient: hc})
	st, err := db.OutboxStats(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "kiosk enroll: %v\n", err)
		return 1
	}
	dev, err := c.EnrollWith(ctx, *hqURL, *code, sync.EnrollOptions{Force: *force})
	if errors.Is(err, sync.ErrUnprovenPending) {
		fmt.Fprintf(stderr, "kiosk enroll: %d 条记录尚未上传 / %d records not yet sent: %s; kiosk enroll --force 强制登记 / to enroll anyway\n",
			st.Pending, st.Pending, sync.Explain(err))
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "kiosk enroll: %s (%v)\n", sync.Explain(err), err)
		return 1
	}
	if st.Pending > 0 {
		if dev.Replaces != "" {
			fmt.Fprintf(stderr, "kiosk enroll: 本机接续设备 %s，%d 条未上传的记录将照常上传 / this kiosk succeeds %s; its %d pending records will be sent as usual\n",
				dev.Replaces, st.Pending, dev.Replaces, st.Pending)
		} else {
			fmt.Fprintf(stderr, "kiosk enroll: 警告：%d 条未上传的记录无法证明来自本机，总部将暂存待核 / warning: %d pending records cannot be proved to be this kiosk's; HQ will hold them for review\n",
				st.Pending, st.Pending)
		}
	}
	if code := writeJSONLine(stdout, stderr, enrollOutput{DeviceID: dev.ID, SiteID: dev.SiteID}); code != 0 {
		return code
	}
	if _, err := c.Pull(ctx); err != nil {
		fmt.Fprintf(stderr, "kiosk enroll: enrolled, but the first pull failed: %s (%v); run kiosk sync\n", sync.Explain(err), err)
	}
	return 0
}
