//go:build gocv

package scanner

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// loopTimes are per-frame capture-loop times (Pipeline.OnFrame).
type loopTimes []time.Duration

func (l loopTimes) quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// TestVideoLoopTime720p plays a 1280×720 phone-screen clip at its frame rate (30 fps, as a
// camera delivers it) through the pipeline and logs the
// capture loop's time per frame (p50/p99/max) and the frame-in → code-out latency; the numbers
// in docs/BENCHMARKS.md come from `taskset -c 0 scanner.test -test.run LoopTime720p -test.v
// -test.cpu 1`. It asserts only that the code is read within 3 frames of appearing (10 under the
// race detector).
func TestVideoLoopTime720p(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 1280×720 clip")
	}
	v := phoneVideo{Text: healthCodeText, Frames: 90, Appear: 30, Width: 1280, Height: 720}
	path := filepath.Join(t.TempDir(), "phone720.avi")
	v.write(t, path)
	dec, err := NewDefaultDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	src, err := NewLiveVideo(path)
	if err != nil {
		t.Fatal(err)
	}
	var times loopTimes
	p := Pipeline{Decoder: dec, Dedupe: &Dedupe{}, OnFrame: func(_ int, d time.Duration) { times = append(times, d) }}
	var scans []Scan
	var seen []time.Time
	frameIn := map[int]time.Time{}
	in := sourceFunc(func(ctx context.Context, fn func(Frame) error) error {
		return src.Frames(ctx, func(f Frame) error { frameIn[f.Index] = time.Now(); return fn(f) })
	})
	if err := p.Run(context.Background(), in, func(s Scan) {
		scans = append(scans, s)
		seen = append(seen, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	// Under the race detector the loop runs several times slower and drops frames by design
	// (the newest frame wins); the count is checked only without it.
	if !raceEnabled && len(times) < v.Frames*2/3 {
		t.Errorf("the loop saw %d of %d frames", len(times), v.Frames)
	}
	if len(scans) != 1 {
		t.Fatalf("scans = %+v; want the code once", scans)
	}
	s := scans[0]
	// The claim is 3 frames, checked without the race detector (scripts/test.sh runs this test
	// so too); under it the decoder's worker runs several times slower, so it has 10 (1/3 s).
	within := 3
	if raceEnabled {
		within = 10
	}
	if s.Text != v.Text || s.Frame < v.Appear || s.Frame >= v.Appear+within {
		t.Fatalf("scan %q at frame %d (step %s); want %q within %d frames of frame %d", s.Text, s.Frame, s.Step, v.Text, within, v.Appear)
	}
	t.Logf("1280x720, %d frames: loop p50 %v p99 %v max %v; code at frame %d (appeared %d) by %s, frame-in → code-out %v",
		len(times), times.quantile(0.5).Round(10*time.Microsecond), times.quantile(0.99).Round(10*time.Microsecond),
		times.quantile(1).Round(10*time.Microsecond), s.Frame, v.Appear, s.Step, seen[0].Sub(frameIn[s.Frame]).Round(10*time.Microsecond))
}
