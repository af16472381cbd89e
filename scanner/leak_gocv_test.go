//go:build gocv && matprofile

package scanner

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// TestCaptureNoLeaks opens and closes a video file 50 times — played to the end, stopped by the
// consumer, and cancelled — and checks that every Mat and goroutine is released.
// Run with: go test -tags gocv,matprofile -run NoLeaks ./scanner
func TestCaptureNoLeaks(t *testing.T) {
	v := phoneVideo{Text: "leak test", Frames: 8, Appear: 2, Width: 320, Height: 240}
	path := filepath.Join(t.TempDir(), "leak.avi")
	v.write(t, path)
	mats := gocv.MatProfile.Count()
	goroutines := runtime.NumGoroutine()
	dec, err := NewDefaultDecoder()
	if err != nil {
		t.Fatal(err)
	}
	errStop := errors.New("stop")
	for i := range 50 {
		src, err := NewVideo(path)
		if err != nil {
			t.Fatal(err)
		}
		p := Pipeline{Decoder: dec, Dedupe: &Dedupe{}}
		switch i % 3 {
		case 0: // to the end
			if err := p.Run(context.Background(), src, func(Scan) {}); err != nil {
				t.Fatal(err)
			}
		case 1: // the consumer stops after a few frames
			n := 0
			err := src.Frames(context.Background(), func(Frame) error {
				if n++; n == 3 {
					return errStop
				}
				return nil
			})
			if !errors.Is(err, errStop) {
				t.Fatalf("Frames = %v; want errStop", err)
			}
		case 2: // cancelled mid-stream
			ctx, cancel := context.WithCancel(context.Background())
			err := src.Frames(ctx, func(Frame) error { cancel(); return nil })
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Frames = %v; want context.Canceled", err)
			}
		}
	}
	dec.Close()
	if got := gocv.MatProfile.Count(); got != mats {
		t.Errorf("gocv.MatProfile.Count() = %d after 50 open/close cycles; want %d", got, mats)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > goroutines {
		t.Errorf("%d goroutines after the cycles; %d before", got, goroutines)
	}
}
