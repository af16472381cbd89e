package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/yongji-county/checkpoint/store"
)

// writeJSONLine prints v as one line of JSON, the output format of every scripted subcommand.
// It returns the exit code: 1 when stdout cannot be written.
func writeJSONLine(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "kiosk: write output: %v\n", err)
		return 1
	}
	return 0
}

// millis is d in milliseconds with microsecond precision, as the JSON outputs give times.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// openKiosk opens the kiosk database of an existing data directory for subcommand cmd ("kiosk
// export", …), saying in words on stderr when there is none or it cannot be opened. It never
// creates a database: a mistyped --data must not look like an empty kiosk.
func openKiosk(ctx context.Context, cmd, dir string, stderr io.Writer, opts ...store.Options) (*store.DB, bool) {
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		fmt.Fprintf(stderr, "%s: 目录中没有本机数据库，请先登记设备 / no kiosk database in %s (run kiosk enroll first)\n", cmd, dir)
		return nil, false
	}
	db, err := store.OpenDir(ctx, dir, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return nil, false
	}
	return db, true
}
