package scanner

import (
	"context"
	"fmt"
	"time"
)

// Scan is one code reported to the application.
type Scan struct {
	Result
	// Frame is the index of the frame it was read in; -1 for a keyboard-wedge scan.
	Frame int
	// At is when the frame was taken (or Enter was pressed).
	At time.Time
	// Took is the decode time of that frame.
	Took time.Duration
}

// Pipeline reads frames from a Source, decodes them (Decoder.DecodeFrame: bounded work per
// frame, the costly steps spread over consecutive frames) and reports new codes. When a frame holds
// several codes only the presented one (largest, most central) is reported: a poster on the wall
// behind the person must not be scanned instead of their phone.
type Pipeline struct {
	// Decoder decodes frames; required.
	Decoder *Decoder
	// Dedupe suppresses repeats; nil reports every frame's code.
	Dedupe *Dedupe
}

// Run drives src until ctx is done or the source ends, calling emit from the calling goroutine
// for each new code. It returns what src.Frames returns.
func (p *Pipeline) Run(ctx context.Context, src Source, emit func(Scan)) error {
	if p.Decoder == nil {
		return fmt.Errorf("scanner: pipeline: no decoder")
	}
	return src.Frames(ctx, func(f Frame) error {
		t0 := time.Now()
		rs, err := p.Decoder.DecodeFrame(f.Grey)
		took := time.Since(t0)
		if err != nil || len(rs) == 0 {
			return nil // a malformed frame is skipped like an empty one
		}
		r := rs[0]
		if p.Dedupe != nil && !p.Dedupe.Fresh(r.Text, f.At) {
			return nil
		}
		emit(Scan{Result: r, Frame: f.Index, At: f.At, Took: took})
		return nil
	})
}
