package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yongji-county/checkpoint/scanner"
	"github.com/yongji-county/checkpoint/scanner/qrcorpus"
)

type config struct {
	corpus, zxing, zbar string
	reps                int
	analyze, verbose    bool
	gaps                bool
	steps, sets         string
	cascade             string
	wechatAlone         bool
	dump                string
	only                string
}

// sample is one corpus image as a grey plane, the input every engine gets.
type sample struct {
	qrcorpus.Item
	grey scanner.Grey
	text bool // a text-set image (else a position-set image)
}

// outcome is what one engine made of one sample.
type outcome struct {
	steps   []string // the cascade step that decoded each code (Go engines)
	texts   []string
	centres []qrcorpus.Point
	ms      float64
}

// engine decodes samples one at a time. The driver interleaves engines image by image, so a
// load spike on this shared machine hits every engine alike.
type engine interface {
	name() string
	// start prepares the engine for these samples.
	start(ctx context.Context, samples []sample, reps int) error
	// decode decodes sample i reps times and reports the fastest run.
	decode(i int) (outcome, error)
	close() error
}

func loadSamples(cfg config) ([]sample, error) {
	dir := cfg.corpus
	if dir == "" {
		d, err := qrcorpus.Dir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	var items []qrcorpus.Item
	var isText []bool
	if strings.Contains(cfg.sets, "text") {
		t, err := qrcorpus.Text(dir)
		if err != nil {
			return nil, err
		}
		items = append(items, t...)
		for range t {
			isText = append(isText, true)
		}
	}
	if strings.Contains(cfg.sets, "boofcv") {
		p, err := qrcorpus.Positions(dir)
		if err != nil {
			return nil, err
		}
		items = append(items, p...)
		for range p {
			isText = append(isText, false)
		}
	}
	out := make([]sample, 0, len(items))
	for i, it := range items {
		if cfg.only != "" && !slices.ContainsFunc(strings.Split(cfg.only, ","), func(k string) bool { return strings.HasSuffix(it.Key(), k) }) {
			continue
		}
		img, err := qrcorpus.Load(it.Path)
		if err != nil {
			return nil, err
		}
		out = append(out, sample{Item: it, grey: scanner.GreyFromImage(img).Compact(), text: isText[i]})
	}
	return out, nil
}

func bench(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	samples, err := loadSamples(cfg)
	if err != nil {
		return err
	}
	if cfg.analyze {
		return analyze(ctx, cfg, samples, stdout)
	}
	engines := goEngines(cfg)
	if cfg.cascade != "" {
		engines = nil
		for _, c := range strings.Split(cfg.cascade, ";") {
			steps := strings.Split(c, ",")
			engines = append(engines, &goEngine{label: "cascade " + c, opts: func() (scanner.Options, error) {
				fb, err := analysisFallback()
				return scanner.Options{Steps: steps, Fallback: fb}, err
			}})
		}
	}
	if cfg.zxing != "" {
		engines = append(engines, &harness{label: "zxing-cpp 1.4", bin: cfg.zxing})
	}
	if cfg.zbar != "" {
		engines = append(engines, &harness{label: "zbar 0.23", bin: cfg.zbar})
	}
	reps := max(cfg.reps, 1)
	for _, e := range engines {
		if err := e.start(ctx, samples, reps); err != nil {
			return fmt.Errorf("%s: %w", e.name(), err)
		}
		defer e.close()
	}
	outs := make([][]outcome, len(engines))
	for k := range outs {
		outs[k] = make([]outcome, len(samples))
	}
	t0 := time.Now()
	for i := range samples {
		if err := ctx.Err(); err != nil {
			return err
		}
		if i%50 == 0 {
			fmt.Fprintf(stderr, "qrbench: image %d/%d (%v)\n", i, len(samples), time.Since(t0).Round(time.Second))
		}
		for j := range engines {
			k := (i + j) % len(engines) // rotate who goes first
			o, err := engines[k].decode(i)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", engines[k].name(), samples[i].Path, err)
			}
			outs[k][i] = o
		}
	}
	if cfg.dump != "" {
		if err := dump(cfg.dump, engines, samples, outs); err != nil {
			return err
		}
	}
	var scores []score
	for k, e := range engines {
		s := scoreOf(e.name(), samples, outs[k])
		if cfg.verbose {
			fmt.Fprintf(stderr, "  %s: first code by step (text/boofcv): %v\n", e.name(), stepCounts(samples, outs[k]))
			for _, l := range s.notes {
				fmt.Fprintf(stderr, "  %s: %s\n", e.name(), l)
			}
		}
		scores = append(scores, s)
	}
	if cfg.gaps {
		gaps(stderr, engines, samples, outs)
	}
	report(stdout, scores, cfg, samples)
	return nil
}

// gaps lists, for each scanner build, the images zxing-cpp reads and the build does not, and the
// build's five slowest images next to zxing-cpp's slowest.
func gaps(w io.Writer, engines []engine, samples []sample, outs [][]outcome) {
	peer := slices.IndexFunc(engines, func(e engine) bool { return strings.HasPrefix(e.name(), "zxing") })
	if peer < 0 {
		fmt.Fprintln(w, "qrbench: -gaps needs -zxing")
		return
	}
	read := func(s sample, o outcome) bool {
		if s.text {
			if s.Set == qrcorpus.AppendSet {
				return len(o.texts) > 0
			}
			v := qrcorpus.Compare(s.Want, o.texts)
			return v == qrcorpus.Exact || v == qrcorpus.Charset
		}
		return s.HitsLabel(o.centres)
	}
	peerMax := 0.0
	for i := range samples {
		peerMax = max(peerMax, outs[peer][i].ms)
	}
	for k, e := range engines {
		if _, ok := e.(*goEngine); !ok {
			continue
		}
		for i, s := range samples {
			if read(s, outs[peer][i]) && !read(s, outs[k][i]) {
				fmt.Fprintf(w, "  %s: zxing-cpp only: %s/%s (%.1f ms; zxing-cpp %.1f ms)\n", e.name(), s.Set, s.Name, outs[k][i].ms, outs[peer][i].ms)
			}
		}
		idx := make([]int, len(samples))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return cmpMS(outs[k][b].ms, outs[k][a].ms) })
		for _, i := range idx[:min(5, len(idx))] {
			fmt.Fprintf(w, "  %s: slow: %s/%s %.0f ms (%.1f× zxing-cpp's slowest, %.0f ms)\n", e.name(), samples[i].Set, samples[i].Name, outs[k][i].ms, outs[k][i].ms/max(peerMax, 1e-3), peerMax)
		}
	}
}

func cmpMS(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// goEngine runs a scanner.Decoder in this process.
type goEngine struct {
	label   string
	opts    func() (scanner.Options, error)
	d       *scanner.Decoder
	samples []sample
	reps    int
}

func (e *goEngine) name() string { return e.label }

func (e *goEngine) start(ctx context.Context, samples []sample, reps int) error {
	o, err := e.opts()
	if err != nil {
		return err
	}
	e.d, err = scanner.NewDecoder(o)
	e.samples, e.reps = samples, reps
	return err
}

func (e *goEngine) decode(i int) (outcome, error) {
	best := time.Duration(1 << 62)
	var rs []scanner.Result
	var err error
	for range e.reps {
		t0 := time.Now()
		rs, err = e.d.Decode(e.samples[i].grey)
		best = min(best, time.Since(t0))
		if err != nil {
			return outcome{}, err
		}
	}
	return outcomeOf(rs, best), nil
}

func (e *goEngine) close() error {
	if e.d == nil {
		return nil
	}
	return e.d.Close()
}

func outcomeOf(rs []scanner.Result, d time.Duration) outcome {
	o := outcome{ms: float64(d.Microseconds()) / 1000}
	for _, r := range rs {
		o.texts = append(o.texts, r.Text)
		o.steps = append(o.steps, r.Step)
		c := r.Centre()
		o.centres = append(o.centres, qrcorpus.Point{X: c.X, Y: c.Y})
	}
	return o
}

// harness runs a C++ harness (tools/qrbench/harness) that holds the same grey planes and
// decodes the one whose index it is sent; it times the library call in its own process.
type harness struct {
	label, bin string
	cmd        *exec.Cmd
	in         io.WriteCloser
	out        *bufio.Scanner
	planes     string
}

func (h *harness) name() string { return h.label }

func (h *harness) start(ctx context.Context, samples []sample, reps int) error {
	f, err := os.CreateTemp("", "qrbench-*.planes")
	if err != nil {
		return err
	}
	h.planes = f.Name()
	w := bufio.NewWriter(f)
	binary.Write(w, binary.LittleEndian, uint32(len(samples)))
	for _, s := range samples {
		binary.Write(w, binary.LittleEndian, [2]uint32{uint32(s.grey.Width), uint32(s.grey.Height)})
		w.Write(s.grey.Pix[:s.grey.Width*s.grey.Height])
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	h.cmd = exec.CommandContext(ctx, h.bin, h.planes, strconv.Itoa(reps))
	h.cmd.Stderr = os.Stderr
	if h.in, err = h.cmd.StdinPipe(); err != nil {
		return err
	}
	out, err := h.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	h.out = bufio.NewScanner(out)
	h.out.Buffer(make([]byte, 1<<20), 1<<24)
	if err := h.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", filepath.Base(h.bin), err)
	}
	return nil
}

func (h *harness) decode(i int) (outcome, error) {
	var o outcome
	if _, err := fmt.Fprintf(h.in, "%d\n", i); err != nil {
		return o, err
	}
	for h.out.Scan() {
		f := strings.Fields(h.out.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "e":
			return o, nil
		case "i":
			if len(f) != 4 || f[1] != strconv.Itoa(i) {
				return o, fmt.Errorf("harness line %q", h.out.Text())
			}
			o.ms, _ = strconv.ParseFloat(f[2], 64)
		case "c":
			if len(f) < 3 {
				return o, fmt.Errorf("harness line %q", h.out.Text())
			}
			txt := ""
			if f[1] != "-" {
				b, err := hex.DecodeString(f[1])
				if err != nil {
					return o, fmt.Errorf("harness line %q: %w", h.out.Text(), err)
				}
				txt = string(b)
			}
			var c qrcorpus.Point
			np, _ := strconv.Atoi(f[2])
			for k := 0; k < np && 4+2*k < len(f); k++ {
				x, _ := strconv.ParseFloat(f[3+2*k], 64)
				y, _ := strconv.ParseFloat(f[4+2*k], 64)
				c.X += x / float64(np)
				c.Y += y / float64(np)
			}
			o.texts = append(o.texts, txt)
			o.centres = append(o.centres, c)
		}
	}
	if err := h.out.Err(); err != nil {
		return o, err
	}
	return o, fmt.Errorf("%s ended early", filepath.Base(h.bin))
}

func (h *harness) close() error {
	if h.in != nil {
		h.in.Close()
	}
	var err error
	if h.cmd != nil && h.cmd.Process != nil {
		err = h.cmd.Wait()
	}
	if h.planes != "" {
		os.Remove(h.planes)
	}
	return err
}

// score is one engine's result over the qrcorpus.
type score struct {
	name                              string
	exact, charset, missed, misread   int // text sets, excluding the append set
	known                             int // qrcorpus.KnownMismatches hit
	textN                             int
	appendOK                          bool
	boofHit, boofN, monitor, monitorN int
	perCat                            map[string][2]int
	textMS, boofMS                    []float64
	notes                             []string
}

func scoreOf(name string, samples []sample, outs []outcome) score {
	s := score{name: name, perCat: map[string][2]int{}}
	var parts []string
	for i, smp := range samples {
		o := outs[i]
		if smp.text {
			s.textMS = append(s.textMS, o.ms)
			if smp.Set == qrcorpus.AppendSet {
				// Parts are named in sequence order (01-01 .. 01-04): join the first code of
				// each, the same rule for every engine.
				if len(o.texts) > 0 {
					parts = append(parts, o.texts[0])
				} else {
					parts = append(parts, "\x00missing")
				}
				continue
			}
			s.textN++
			switch v := qrcorpus.Compare(smp.Want, o.texts); v {
			case qrcorpus.Exact:
				s.exact++
			case qrcorpus.Charset:
				s.charset++
				s.notes = append(s.notes, fmt.Sprintf("charset %s/%s", smp.Set, smp.Name))
			case qrcorpus.Missed:
				s.missed++
				s.notes = append(s.notes, fmt.Sprintf("missed %s/%s", smp.Set, smp.Name))
			case qrcorpus.Misread:
				if why, ok := qrcorpus.KnownMismatches[smp.Key()]; ok {
					s.known++
					s.notes = append(s.notes, fmt.Sprintf("known mismatch %s: %s", smp.Key(), why))
					continue
				}
				s.misread++
				s.notes = append(s.notes, fmt.Sprintf("MISREAD %s/%s: %q want %q", smp.Set, smp.Name, o.texts, smp.Want))
			}
			continue
		}
		s.boofMS = append(s.boofMS, o.ms)
		s.boofN++
		hit := smp.HitsLabel(o.centres)
		c := s.perCat[smp.Set]
		c[1]++
		if hit {
			s.boofHit++
			c[0]++
		} else {
			s.notes = append(s.notes, fmt.Sprintf("missed %s/%s (%d codes)", smp.Set, smp.Name, len(o.texts)))
		}
		s.perCat[smp.Set] = c
		if smp.Set == "boofcv-monitor" {
			s.monitorN++
			if hit {
				s.monitor++
			}
		}
	}
	if len(parts) > 0 {
		want := ""
		for _, smp := range samples {
			if smp.Set == qrcorpus.AppendSet {
				want = string(smp.Want)
				break
			}
		}
		s.appendOK = strings.Join(parts, "") == want
	}
	return s
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(p * float64(len(s)-1))
	return s[i]
}

// stepCounts tallies which cascade step produced each image's first code.
func stepCounts(samples []sample, outs []outcome) map[string][2]int {
	m := map[string][2]int{}
	for i, o := range outs {
		if len(o.steps) == 0 {
			continue
		}
		c := m[o.steps[0]]
		if samples[i].text {
			c[0]++
		} else {
			c[1]++
		}
		m[o.steps[0]] = c
	}
	return m
}

// dump writes every engine's per-image outcome as CSV, for looking at where the time goes.
func dump(path string, engines []engine, samples []sample, outs [][]outcome) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "engine,set,name,ms,read,step")
	for k, e := range engines {
		for i, s := range samples {
			o := outs[k][i]
			read := false
			if s.text {
				v := qrcorpus.Compare(s.Want, o.texts)
				read = v == qrcorpus.Exact || v == qrcorpus.Charset || (s.Set == qrcorpus.AppendSet && len(o.texts) > 0)
			} else {
				read = s.HitsLabel(o.centres)
			}
			step := ""
			if len(o.steps) > 0 {
				step = o.steps[0]
			}
			fmt.Fprintf(w, "%q,%s,%s,%.3f,%v,%s\n", e.name(), s.Set, s.Name, o.ms, read, step)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
