package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/yongji-county/checkpoint/scanner"
	"github.com/yongji-county/checkpoint/scanner/qrcorpus"
)

// analyze runs each step alone over the samples, then reports for the given order (the default
// cascade unless -steps is set) what each step adds on top of the ones before it and what it
// costs on the images that reach it.
func analyze(ctx context.Context, cfg config, samples []sample, w io.Writer) error {
	all, small, large := scanner.StepNames()
	order := large
	if !strings.Contains(cfg.sets, "boofcv") {
		order = small
	}
	if cfg.steps != "" {
		order = strings.Split(cfg.steps, ",")
	}
	measure := all
	if cfg.steps != "" {
		measure = order
	}
	ok := map[string][]bool{}
	ms := map[string][]float64{}
	for _, st := range measure {
		var fb scanner.Fallback
		if strings.HasPrefix(st, "fallback") {
			f, err := analysisFallback()
			if err != nil {
				return err
			}
			fb = f
		}
		d, err := scanner.NewDecoder(scanner.Options{Steps: []string{st}, Fallback: fb})
		if err != nil {
			return err
		}
		ok[st] = make([]bool, len(samples))
		ms[st] = make([]float64, len(samples))
		for i, s := range samples {
			if err := ctx.Err(); err != nil {
				return err
			}
			t0 := time.Now()
			rs, err := d.Decode(s.grey)
			ms[st][i] = float64(time.Since(t0).Microseconds()) / 1000
			if err != nil {
				return err
			}
			ok[st][i] = success(s, rs)
		}
		d.Close()
	}
	fmt.Fprintln(w, "| step | alone: text | alone: boofcv | alone: monitor | median ms (text / boofcv) |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, st := range measure {
		t, b, m := counts(samples, ok[st])
		var tm, bm []float64
		for i, s := range samples {
			if s.text {
				tm = append(tm, ms[st][i])
			} else {
				bm = append(bm, ms[st][i])
			}
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %.2f / %.2f |\n", st, t, b, m, median(tm), median(bm))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| cascade step | adds text | adds boofcv | adds monitor | cumulative text | cumulative boofcv | ms spent in step (all images reaching it) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	solved := make([]bool, len(samples))
	for _, st := range order {
		if ok[st] == nil {
			continue
		}
		add := make([]bool, len(samples))
		spent := 0.0
		for i := range samples {
			if solved[i] {
				continue
			}
			spent += ms[st][i]
			if ok[st][i] {
				add[i], solved[i] = true, true
			}
		}
		at, ab, am := counts(samples, add)
		ct, cb, _ := counts(samples, solved)
		fmt.Fprintf(w, "| %s | +%d | +%d | +%d | %d | %d | %.0f |\n", st, at, ab, am, ct, cb, spent)
	}
	// A greedy order: at each point the step that solves the most still-unsolved images per
	// millisecond spent on those images.
	fmt.Fprint(w, "\ngreedy order (new images per second of decode time on the unsolved ones):")
	done := make([]bool, len(samples))
	used := map[string]bool{}
	for {
		best, bestRate, bestAdd := "", 0.0, 0
		for _, st := range measure {
			if used[st] {
				continue
			}
			add, spent := 0, 0.0
			for i := range samples {
				if !done[i] {
					spent += ms[st][i]
					if ok[st][i] {
						add++
					}
				}
			}
			if add == 0 {
				continue
			}
			if rate := float64(add) / (spent + 1e-9); rate > bestRate {
				best, bestRate, bestAdd = st, rate, add
			}
		}
		if best == "" {
			break
		}
		used[best] = true
		for i := range samples {
			if ok[best][i] {
				done[i] = true
			}
		}
		fmt.Fprintf(w, " %s(+%d, %.0f/s)", best, bestAdd, bestRate*1000)
	}
	fmt.Fprintln(w)
	// What the steps left out of the order would still add on top of the cascade.
	fmt.Fprintln(w)
	for _, st := range measure {
		if containsStr(order, st) {
			continue
		}
		add := make([]bool, len(samples))
		for i := range samples {
			add[i] = !solved[i] && ok[st][i]
		}
		t, b, m := counts(samples, add)
		fmt.Fprintf(w, "- %s would add text +%d, boofcv +%d, monitor +%d\n", st, t, b, m)
	}
	return nil
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func success(s sample, rs []scanner.Result) bool {
	o := outcomeOf(rs, 0)
	if s.text {
		if s.Set == qrcorpus.AppendSet {
			return len(rs) > 0
		}
		v := qrcorpus.Compare(s.Want, o.texts)
		return v == qrcorpus.Exact || v == qrcorpus.Charset
	}
	return s.HitsLabel(o.centres)
}

func counts(samples []sample, ok []bool) (text, boof, monitor int) {
	for i, s := range samples {
		if !ok[i] {
			continue
		}
		if s.text {
			if s.Set != qrcorpus.AppendSet {
				text++
			}
			continue
		}
		boof++
		if s.Set == "boofcv-monitor" {
			monitor++
		}
	}
	return
}
