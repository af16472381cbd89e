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
	register("check-id", "validate an 18-character resident ID and print JSON", runCheckID)
}

// checkIDOutput is the JSON contract of "kiosk check-id". It never carries the full ID.
type checkIDOutput struct {
	Valid  bool   `json:"valid"`
	Error  string `json:"error"` // length, character, date, region or check; "" when valid
	Masked string `json:"masked"`
	Birth  string `json:"birth"` // YYYY-MM-DD
	Sex    string `json:"sex"`   // M or F
	Region string `json:"region"`
	// RegionName is the region's name (checkpoint.RegionName): 吉林省吉林市永吉县, or
	// 未知地区（220299） with RegionKnown false; "" for an invalid ID.
	RegionName  string `json:"region_name"`
	RegionKnown bool   `json:"region_known"`
	MessageZH   string `json:"message_zh,omitempty"`
	MessageEN   string `json:"message_en,omitempty"`
}

// runCheckID validates ID and prints one JSON object; it exits 0 for valid and invalid IDs alike
// and 2 for usage errors.
func runCheckID(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-id", flag.ContinueOnError)
	fs.SetOutput(stderr)
	nowText := fs.String("now", "", "date to check the birth date against, RFC 3339 (default: now)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "kiosk check-id: usage: kiosk check-id [--now RFC3339] ID")
		return 2
	}
	now := time.Now()
	if *nowText != "" {
		if now, err = time.Parse(time.RFC3339, *nowText); err != nil {
			fmt.Fprintf(stderr, "kiosk check-id: --now: %v\n", err)
			return 2
		}
	}
	var out checkIDOutput
	id, err := checkpoint.ParseResidentIDAt(pos[0], now)
	if err != nil {
		out.Error = checkpoint.ErrorKind(err)
		m := checkpoint.MessageFor(out.Error)
		out.MessageZH, out.MessageEN = m.ZH, m.EN
	} else {
		out = checkIDOutput{
			Valid: true, Masked: id.Masked(), Birth: id.Birth().Format("2006-01-02"),
			Sex: string(id.Sex()), Region: id.Region(),
		}
		out.RegionName, out.RegionKnown = checkpoint.RegionName(id.Region())
	}
	return writeJSONLine(stdout, stderr, out)
}
