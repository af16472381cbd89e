package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
)

func init() {
	register("rechecks", "list no-code records of people not green at HQ, one JSON object a line", runRechecks)
}

func runRechecks(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name, usage = "hq rechecks", "hq rechecks --db DSN [--limit 1..1000]"
	var limit int
	db, code := openDB(ctx, name, usage, args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&limit, "limit", 100, "newest N records (1 to 1000)")
	})
	if db == nil {
		return code
	}
	defer db.Close()
	if limit < 1 || limit > 1000 {
		fmt.Fprintf(stderr, "%s: 参数错误 usage error: %s\n", name, usage)
		return 2
	}
	list, err := db.Rechecks(ctx, limit)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	for _, r := range list {
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 1
		}
	}
	return 0
}
