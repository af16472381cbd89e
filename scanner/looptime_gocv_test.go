//go:build gocv

package scanner

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// loopTimes are per-frame capture-loop times: from the start of one frame's hand-over to the
// consumer to the next (grab, MJPG decode, grey, and whatever the consumer did with it).
type loopTimes []time.Duration

func (l loopTimes) quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// timedSource measures the loop's time per frame around src, the way a live camera would see it.
func timedSource(src Source, times *loopTimes) Source {
	return sourceFunc(func(ctx context.Context, fn func(Frame) error) error {
		last := time.Now()
		err := src.Frames(ctx, func(f Frame) error {
			err := fn(f)
			now := time.Now()
			*times = append(*times, now.Sub(last))
			last = now
			return err
		})
		return err
	})
}

// TestVideoLoopTime720p plays a 1280×720 phone-screen clip through the pipeline and logs the
// capture loop's time per frame (p50/p99/max) and the frame-in → code-out latency; the numbers
// in docs/BENCHMARKS.md come from `taskset -c 0 scanner.test -test.run LoopTime720p -test.v
// -test.cpu 1`. It asserts only that the code is read within 3 frames of appearing.
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
	src, err := NewVideo(path)
	if err != nil {
		t.Fatal(err)
	}
	var times loopTimes
	p := Pipeline{Decoder: dec, Dedupe: &Dedupe{}}
	var scans []Scan
	var seen []time.Time
	frameIn := map[int]time.Time{}
	in := sourceFunc(func(ctx context.Context, fn func(Frame) error) error {
		return src.Frames(ctx, func(f Frame) error { frameIn[f.Index] = time.Now(); return fn(f) })
	})
	if err := p.Run(context.Background(), timedSource(in, &times), func(s Scan) {
		scans = append(scans, s)
		seen = append(seen, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if len(scans) != 1 {
		t.Fatalf("scans = %+v; want the code once", scans)
	}
	s := scans[0]
	if s.Text != v.Text || s.Frame < v.Appear || s.Frame > v.Appear+2 {
		t.Fatalf("scan %q at frame %d (step %s); want %q within 3 frames of frame %d", s.Text, s.Frame, s.Step, v.Text, v.Appear)
	}
	t.Logf("1280x720, %d frames: loop p50 %v p99 %v max %v; code at frame %d (appeared %d) by %s, frame-in → code-out %v",
		len(times), times.quantile(0.5).Round(10*time.Microsecond), times.quantile(0.99).Round(10*time.Microsecond),
		times.quantile(1).Round(10*time.Microsecond), s.Frame, v.Appear, s.Step, seen[0].Sub(frameIn[s.Frame]).Round(10*time.Microsecond))
}
