package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
)

func init() {
	register("held", "list the records HQ holds without having accepted them, one JSON line each", runHeld)
}

// runHeld prints every held record (id, kind, device, site, staff, times, reason) as one JSON
// line each, oldest id first: the operator's list of what kiosks handed in that HQ could not
// accept (a staff member not on the roster, a site outside the device's tree, …).
func runHeld(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "hq held"
	db, code := openDB(ctx, name, name+" --db DSN", args, stdout, stderr, nil)
	if db == nil {
		return code
	}
	defer db.Close()
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for after := ""; ; {
		page, err := db.Held(ctx, after, 1000)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 1
		}
		for _, h := range page {
			if err := enc.Encode(h); err != nil {
				fmt.Fprintf(stderr, "%s: %v\n", name, err)
				return 1
			}
		}
		if len(page) < 1000 {
			return 0
		}
		after = page[len(page)-1].ID
	}
}
