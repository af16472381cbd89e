package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
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
