//go:build gocv

package main

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/scanner"
)

// demoCodeText is a printed code as the demo HQ issues one (same claims' sizes).
func demoCodeText(t *testing.T) string {
	t.Helper()
	is, err := checkpoint.NewIssuer("k1a2b3c", ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	text, _, err := is.Issue(checkpoint.Claims{HolderID: "0123456789abcdef", Name: "张三", IDMasked: "220221********0011",
		Household: "220221", Status: checkpoint.StatusGreen, Kind: checkpoint.KindPrinted, ExpiresAt: now.Add(7 * 24 * time.Hour)}, now)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestDemoVideoReadsTheCode renders the demo camera's clip for a real-sized code and plays it
// through the kiosk's decoder and dedupe: the code is read once per loop, while the phone is up.
func TestDemoVideoReadsTheCode(t *testing.T) {
	text := demoCodeText(t)
	dir := t.TempDir()
	start := time.Now()
	path, err := ensureDemoVideo(dir, text, 640, 480)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo clip 640×480, %d frames: made in %v, %d kB", demoLoopFrames, time.Since(start).Round(time.Millisecond), fileSize(t, path)/1024)
	dec, err := newDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	// Every frame alone: which ones read.
	src, err := scanner.NewVideo(path)
	if err != nil {
		t.Fatal(err)
	}
	first, read, frames := -1, 0, 0
	err = src.Frames(context.Background(), func(f scanner.Frame) error {
		frames++
		rs, _ := dec.Decode(f.Grey)
		if len(rs) > 0 && rs[0].Text == text {
			read++
			if first < 0 {
				first = f.Index
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, _, _, up := demoPose(first)
	t.Logf("demo clip: %d frames, phone in view from frame %d, first read at frame %d (%.1f s), %d frames read alone",
		frames, demoFPS/2, first, float64(first)/demoFPS, read)
	if frames != demoLoopFrames || first < 0 || !up || first > 2*demoFPS || read < demoLoopFrames/5 {
		t.Fatalf("%d frames, first read %d, %d read; want %d frames, the code read within 2 s and in a fifth of them", frames, first, read, demoLoopFrames)
	}
	// Three loops through the pipeline as the kiosk runs it: one scan per loop.
	p := &scanner.Pipeline{Decoder: dec, Dedupe: &scanner.Dedupe{}}
	var scans []scanner.Scan
	loops := 0
	looped := scanner.Source(sourceFunc(func(ctx context.Context, fn func(scanner.Frame) error) error {
		base := time.Now()
		for loops = 0; loops < 3; loops++ {
			v, err := scanner.NewVideo(path)
			if err != nil {
				return err
			}
			off := time.Duration(loops) * demoLoopFrames * time.Second / demoFPS
			if err := v.Frames(ctx, func(f scanner.Frame) error {
				f.At = base.Add(off + time.Duration(f.Index)*time.Second/demoFPS) // the clip's own clock
				f.Index += loops * demoLoopFrames
				return fn(f)
			}); err != nil {
				return err
			}
		}
		return nil
	}))
	if err := p.Run(context.Background(), looped, func(s scanner.Scan) { scans = append(scans, s) }); err != nil {
		t.Fatal(err)
	}
	if len(scans) != 3 {
		t.Fatalf("three loops gave %d scans; want one a loop", len(scans))
	}
	for i, s := range scans {
		t.Logf("loop %d: read at frame %d of the loop", i+1, s.Frame-i*demoLoopFrames)
		if s.Text != text {
			t.Errorf("scan %d read %q", i, s.Text)
		}
	}
	// Made again only when the code changes.
	st, _ := os.Stat(path)
	if _, err := ensureDemoVideo(dir, text, 640, 480); err != nil {
		t.Fatal(err)
	}
	if st2, _ := os.Stat(path); !st2.ModTime().Equal(st.ModTime()) {
		t.Error("the same code made the clip again")
	}
	if _, err := ensureDemoVideo(dir, text+"X", 640, 480); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path + ".key"); string(b) == "" {
		t.Error("no key beside the clip")
	}
	if st3, _ := os.Stat(path); st3.ModTime().Equal(st.ModTime()) && st3.Size() == st.Size() {
		t.Error("a new code kept the old clip")
	}
}

// TestLoopVideoLoops: the demo camera's source plays its clip again when it ends, at the clip's
// own frame rate, with frame numbers counting on.
func TestLoopVideoLoops(t *testing.T) {
	path := writeCodeClip(t) // 15 frames at 30 fps
	l := &loopVideo{prepare: func() (string, error) { return path, nil }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var idx []int
	start := time.Now()
	err := l.Frames(ctx, func(f scanner.Frame) error {
		idx = append(idx, f.Index)
		if len(idx) == 40 {
			cancel()
		}
		return nil
	})
	took := time.Since(start)
	if err != context.Canceled {
		t.Fatalf("Frames = %v; want it to run until cancelled", err)
	}
	for i, n := range idx {
		if n != i {
			t.Fatalf("frame numbers %v; want 0, 1, 2, ... across loops", idx)
		}
	}
	if took < time.Second {
		t.Errorf("40 frames of a 30 fps clip in %v; want them at the clip's rate (≥ 1.3 s)", took)
	}
	bad := &loopVideo{prepare: func() (string, error) { return filepath.Join(t.TempDir(), "none.avi"), nil }}
	if err := bad.Frames(context.Background(), func(scanner.Frame) error { return nil }); err == nil {
		t.Error("a missing clip played")
	}
}

func fileSize(t *testing.T, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
