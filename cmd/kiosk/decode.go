package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/yongji-county/checkpoint/scanner"
)

func init() {
	register("decode", "decode QR codes in image files (--json) or a video file (--video)", runDecode)
}

// decodeLine is one line of `kiosk decode --json`, the contract outside scripts rely on.
type decodeLine struct {
	File  string       `json:"file"`
	Codes []decodeCode `json:"codes"`
	MS    float64      `json:"ms"`
	Error string       `json:"error,omitempty"`
}

type decodeCode struct {
	Text   string       `json:"text"`
	Points [][2]float64 `json:"points"`
}

// videoLine is one line of `kiosk decode --video`: a code found in the video.
type videoLine struct {
	Frame  int          `json:"frame"`
	Text   string       `json:"text"`
	MS     float64      `json:"ms"`
	Points [][2]float64 `json:"points"`
}

func runDecode(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "one JSON line per image: file, codes (text, points), ms")
	video := fs.String("video", "", "decode every frame of this video file; one JSON line per code found")
	pureGo := fs.Bool("pure-go", false, "do not use the OpenCV fallback decoder even when built in")
	stats := fs.Bool("stats", false, "with --video: play the file at its frame rate, as a camera delivers it, and end with a JSON line of the capture loop's time per frame")
	window := fs.Duration("window", scanner.DefaultWindow, "with --video: the same code again within this time is reported once")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "usage: kiosk decode [--json] FILE... | kiosk decode --video FILE")
			return 0
		}
		fmt.Fprintf(stderr, "kiosk decode: %v (usage: kiosk decode [--json] FILE... | --video FILE)\n", err)
		return 2
	}
	switch {
	case *video != "" && fs.NArg() > 0:
		fmt.Fprintln(stderr, "kiosk decode: --video takes one file and no image files")
		return 2
	case *video == "" && fs.NArg() == 0:
		fmt.Fprintln(stderr, "kiosk decode: no files given (usage: kiosk decode [--json] FILE... | --video FILE)")
		return 2
	}
	dec, err := fileDecoder(*pureGo)
	if err != nil {
		fmt.Fprintf(stderr, "kiosk decode: %v\n", err)
		return 1
	}
	defer dec.Close()
	if *video != "" {
		return decodeVideo(ctx, dec, *video, *window, *stats, stdout, stderr)
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, path := range fs.Args() {
		if ctx.Err() != nil {
			return 1
		}
		line := decodeFile(dec, path)
		if *asJSON {
			if err := enc.Encode(line); err != nil {
				fmt.Fprintf(stderr, "kiosk decode: %v\n", err)
				return 1
			}
			continue
		}
		switch {
		case line.Error != "":
			fmt.Fprintf(stdout, "%s: error: %s\n", path, line.Error)
		case len(line.Codes) == 0:
			fmt.Fprintf(stdout, "%s: no code found (%.1f ms)\n", path, line.MS)
		default:
			for _, c := range line.Codes {
				fmt.Fprintf(stdout, "%s: %q (%.1f ms)\n", path, c.Text, line.MS)
			}
		}
	}
	return 0
}

// fileDecoder builds the best decoder of this build: with the gocv tag, the WeChat fallback.
func fileDecoder(pureGo bool) (*scanner.Decoder, error) {
	if pureGo {
		return scanner.NewDecoder(scanner.Options{})
	}
	return scanner.NewDefaultDecoder()
}

// decodeFile reads one image and decodes it; ms covers the decode of the grey plane only.
func decodeFile(dec *scanner.Decoder, path string) decodeLine {
	line := decodeLine{File: path, Codes: []decodeCode{}}
	g, err := scanner.ReadImage(path)
	if err != nil {
		line.Error = err.Error()
		return line
	}
	t0 := time.Now()
	rs, err := dec.Decode(g)
	line.MS = millis(time.Since(t0))
	if err != nil {
		line.Error = err.Error()
		return line
	}
	for _, r := range rs {
		line.Codes = append(line.Codes, decodeCode{Text: r.Text, Points: points(r.Points)})
	}
	return line
}

// statsLine is the last line of `kiosk decode --video --stats`: the capture loop's time per
// frame (what a live camera waits) and the first frame whose code was read (-1: none).
type statsLine struct {
	Frames     int     `json:"frames"`
	FirstFrame int     `json:"first_frame"`
	P50MS      float64 `json:"p50_ms"`
	P99MS      float64 `json:"p99_ms"`
	MaxMS      float64 `json:"max_ms"`
}

func decodeVideo(ctx context.Context, dec *scanner.Decoder, path string, window time.Duration, stats bool, stdout, stderr io.Writer) int {
	open := scanner.NewVideo
	if stats {
		open = scanner.NewLiveVideo
	}
	src, err := open(path)
	if err != nil {
		fmt.Fprintf(stderr, "kiosk decode: %v\n", err)
		return 1
	}
	var times []time.Duration
	p := scanner.Pipeline{Decoder: dec, Dedupe: &scanner.Dedupe{Window: window},
		OnFrame: func(_ int, d time.Duration) { times = append(times, d) }}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	first := -1
	err = p.Run(ctx, src, func(s scanner.Scan) {
		if first < 0 || s.Frame < first {
			first = s.Frame
		}
		enc.Encode(videoLine{Frame: s.Frame, Text: s.Text, MS: millis(s.Took), Points: points(s.Points)})
	})
	if err != nil {
		fmt.Fprintf(stderr, "kiosk decode: %v\n", err)
		return 1
	}
	if stats {
		slices.Sort(times)
		q := func(f float64) float64 {
			if len(times) == 0 {
				return 0
			}
			return millis(times[min(len(times)-1, int(f*float64(len(times))))])
		}
		enc.Encode(statsLine{Frames: len(times), FirstFrame: first, P50MS: q(0.5), P99MS: q(0.99), MaxMS: q(1)})
	}
	return 0
}

func points(ps []scanner.Point) [][2]float64 {
	out := make([][2]float64, len(ps))
	for i, p := range ps {
		out[i] = [2]float64{finite(p.X), finite(p.Y)}
	}
	return out
}

// finite rounds a coordinate to 0.1 px; JSON has no NaN, so a degenerate one becomes 0.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*10) / 10
}
