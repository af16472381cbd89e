package scanner

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Scan is one code reported to the application.
type Scan struct {
	Result
	// Frame is the index of the frame it was read in; -1 for a keyboard-wedge scan.
	Frame int
	// At is when the frame was taken (or Enter was pressed).
	At time.Time
	// Took is the decode time of that frame (of the step that read it: the capture loop's cheap
	// steps or the worker's costly one).
	Took time.Duration
	// Latency is the time from the frame reaching the pipeline to its code being reported,
	// including any wait for the worker.
	Latency time.Duration
}

// Pipeline reads frames from a Source, decodes them and reports new codes. When a frame holds
// several codes only the presented one (largest, most central) is reported: a poster on the wall
// behind the person must not be scanned instead of their phone.
//
// The capture loop (the Source's goroutine) does only bounded work per frame, so a camera is
// never kept waiting: it runs the cheap steps of the stream cascade (Decoder.DecodeFrame) on the
// frame and, when they read nothing, copies it into a one-frame mailbox for a worker goroutine
// that runs the costly steps and the fallback, one per frame in turn. A frame still waiting when
// the next one arrives is replaced: the worker always gets the newest frame.
type Pipeline struct {
	// Decoder decodes frames; required. The worker uses it; the capture loop gets a Decoder of
	// its own (no fallback) for the cheap steps.
	Decoder *Decoder
	// Dedupe suppresses repeats; nil reports every frame's code.
	Dedupe *Dedupe
	// OnFrame, when set, is called from the capture loop after each frame with the time the
	// loop spent on it, from Frame.Grabbed (or, when the source does not set it, the end of the
	// previous frame's hand-over) to the end of this frame's, so it covers grabbing and
	// converting the frame as well as the pipeline's own work — what a live camera waits.
	OnFrame func(index int, took time.Duration)
}

// Run drives src until ctx is done or the source ends, calling emit for each new code. emit is
// called from one goroutine at a time (the capture loop's or the worker's), never concurrently.
// Run returns what src.Frames returns, after the worker has ended: at the end of the source it
// first decodes the frame still in the mailbox; when ctx is done it waits at most for the step
// in progress.
func (p *Pipeline) Run(ctx context.Context, src Source, emit func(Scan)) error {
	if p.Decoder == nil {
		return fmt.Errorf("scanner: pipeline: no decoder")
	}
	cheap, err := NewDecoder(Options{})
	if err != nil {
		return fmt.Errorf("scanner: pipeline: %w", err)
	}
	defer cheap.Close()
	var mu sync.Mutex // serialises Dedupe and emit between the loop and the worker
	report := func(rs []Result, f Frame, took time.Duration, in time.Time) {
		if len(rs) == 0 {
			return
		}
		r := rs[0]
		mu.Lock()
		defer mu.Unlock()
		if p.Dedupe != nil && !p.Dedupe.Fresh(r.Text, f.At) {
			return
		}
		emit(Scan{Result: r, Frame: f.Index, At: f.At, Took: took, Latency: time.Since(in)})
	}
	box := newMailbox()
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { p.work(wctx, box, report) })
	last := time.Now()
	err = src.Frames(ctx, func(f Frame) error {
		in := time.Now()
		if f.Validate() == nil { // a malformed frame is skipped like an empty one
			rs := cheap.frameCheap(f.Grey)
			if len(rs) > 0 {
				report(rs, f, time.Since(in), in)
			} else {
				box.put(f, cheap.candidates, in)
			}
		}
		if p.OnFrame != nil {
			now, from := time.Now(), last
			if !f.Grabbed.IsZero() {
				from = f.Grabbed
			}
			p.OnFrame(f.Index, now.Sub(from))
			last = now
		}
		return nil
	})
	box.close()
	if err != nil {
		stop() // no point decoding what is left: the source failed or ctx is done
	}
	wg.Wait()
	stop()
	return err
}

// work is the decode worker: it takes the newest frame from box and runs one costly step on
// it, until ctx is done or box is closed and empty.
func (p *Pipeline) work(ctx context.Context, box *mailbox, report func([]Result, Frame, time.Duration, time.Time)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-box.ready:
		case <-box.closed:
			if !box.pending() {
				return
			}
		}
		h := box.take()
		if h == nil {
			continue
		}
		t0 := time.Now()
		rs, err := p.Decoder.frameCostlyOf(h.frame.Grey, h.candidates)
		if err == nil {
			report(rs, h.frame, time.Since(t0), h.in)
		}
		box.recycle(h)
	}
}

// mailbox holds the newest frame for the worker, in buffers it reuses.
type mailbox struct {
	mu     sync.Mutex
	next   *handoff   // the newest frame, not yet taken
	spare  []*handoff // buffers the worker is done with
	ready  chan struct{}
	closed chan struct{}
}

// handoff is one frame copied out of the Source's memory, with what the cheap steps located.
type handoff struct {
	frame      Frame
	pix        []byte
	candidates [][]Point
	in         time.Time // when the frame reached the pipeline
}

func newMailbox() *mailbox {
	return &mailbox{ready: make(chan struct{}, 1), closed: make(chan struct{})}
}

// put copies f into the mailbox, replacing a frame the worker has not taken yet. It never
// waits for the worker, which holds the lock only to swap pointers.
func (m *mailbox) put(f Frame, candidates [][]Point, in time.Time) {
	m.mu.Lock()
	h := m.next
	if h == nil {
		if n := len(m.spare); n > 0 {
			h, m.spare = m.spare[n-1], m.spare[:n-1]
		} else {
			h = &handoff{}
		}
	}
	m.next = nil
	m.mu.Unlock()
	// h is ours alone here: copy outside the lock.
	g := f.Grey
	if need := g.Width * g.Height; cap(h.pix) < need {
		h.pix = make([]byte, need)
	}
	h.pix = h.pix[:g.Width*g.Height]
	for y := range g.Height {
		copy(h.pix[y*g.Width:(y+1)*g.Width], g.Pix[y*g.Stride:])
	}
	h.frame = f
	h.frame.Grey = Grey{Width: g.Width, Height: g.Height, Stride: g.Width, Pix: h.pix}
	h.candidates = h.candidates[:0]
	for _, q := range candidates {
		h.candidates = append(h.candidates, append([]Point(nil), q...))
	}
	h.in = in
	m.mu.Lock()
	if m.next != nil { // cannot happen with one producer, but never lose a buffer
		m.spare = append(m.spare, m.next)
	}
	m.next = h
	m.mu.Unlock()
	select {
	case m.ready <- struct{}{}:
	default:
	}
}

// take returns the newest frame, or nil.
func (m *mailbox) take() *handoff {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.next
	m.next = nil
	return h
}

func (m *mailbox) pending() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.next != nil
}

// recycle gives a taken frame's buffer back.
func (m *mailbox) recycle(h *handoff) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.spare = append(m.spare, h)
}

// close tells the worker that no more frames come.
func (m *mailbox) close() { close(m.closed) }
