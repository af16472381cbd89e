package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/yongji-county/checkpoint/hq"
)

func init() {
	register("stats", "print record counts per kind and rejection counters as JSON", runStats)
}

func runStats(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "hq stats"
	db, code := openDB(ctx, name, name+" --db DSN", args, stdout, stderr, nil)
	if db == nil {
		return code
	}
	defer db.Close()
	st, err := hq.ReadStats(ctx, db)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	b, _ := json.Marshal(st)
	fmt.Fprintln(stdout, string(b))
	return 0
}
