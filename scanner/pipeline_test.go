package scanner

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// frames is a Source over prepared planes with a fixed frame interval.
type frames struct {
	planes []Grey
	start  time.Time
	step   time.Duration
}

func (f frames) Frames(ctx context.Context, fn func(Frame) error) error {
	for i, g := range f.planes {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(Frame{Grey: g, Index: i, At: f.start.Add(time.Duration(i) * f.step)}); err != nil {
			return err
		}
	}
	return nil
}

func TestPipeline(t *testing.T) {
	a, b, none := qrGrey(t, "person A", 240, 4), qrGrey(t, "person B", 240, 4), blank(240, 240, 255)
	// 10 fps: A held up for 5 frames, B, nothing for 4 s, then A again.
	planes := []Grey{none, a, a, a, a, a, b}
	for range 40 {
		planes = append(planes, none)
	}
	planes = append(planes, a)
	src := frames{planes: planes, start: time.Now(), step: 100 * time.Millisecond}
	p := Pipeline{Decoder: mustDecoder(t, Options{}), Dedupe: &Dedupe{}}
	var got []Scan
	if err := p.Run(context.Background(), src, func(s Scan) { got = append(got, s) }); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		text  string
		frame int
	}{{"person A", 1}, {"person B", 6}, {"person A", 47}}
	if len(got) != len(want) {
		t.Fatalf("scans = %v; want %v", got, want)
	}
	for i, w := range want {
		if got[i].Text != w.text || got[i].Frame != w.frame || len(got[i].Points) != 4 {
			t.Errorf("scan %d = %q frame %d; want %q frame %d", i, got[i].Text, got[i].Frame, w.text, w.frame)
		}
	}
}

func TestPipelineImageFiles(t *testing.T) {
	dir := t.TempDir()
	p1, p2 := filepath.Join(dir, "1.png"), filepath.Join(dir, "2.png")
	writePNG(t, p1, qrGrey(t, "first", 200, 4))
	writePNG(t, p2, qrGrey(t, "second", 200, 4))
	p := Pipeline{Decoder: mustDecoder(t, Options{})}
	var got []string
	if err := p.Run(context.Background(), ImageFiles{p1, p2}, func(s Scan) { got = append(got, s.Text) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "first" || got[1] != "second" {
		t.Fatalf("scans = %v", got)
	}
	err := p.Run(context.Background(), ImageFiles{filepath.Join(dir, "missing.png")}, func(Scan) {})
	if err == nil {
		t.Fatal("missing image file: nil error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Run(ctx, ImageFiles{p1}, func(Scan) {}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel = %v", err)
	}
	if err := (&Pipeline{}).Run(context.Background(), ImageFiles{p1}, func(Scan) {}); err == nil {
		t.Fatal("pipeline without decoder: nil error")
	}
}
