package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"
)

func report(w io.Writer, scores []score, cfg config, samples []sample) {
	var ref *score
	for i := range scores {
		if strings.HasPrefix(scores[i].name, "zxing-cpp") {
			ref = &scores[i]
		}
	}
	ratio := func(a, b float64) string {
		if ref == nil || b == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f×", a/b)
	}
	fmt.Fprintf(w, "Run %s, %s/%s, Go %s, GOMAXPROCS=%d, best of %d per image; times are in-process decode of the grey plane (file reading and colour conversion excluded).\n\n",
		time.Now().Format("2006-01-02 15:04"), runtime.GOOS, runtime.GOARCH, runtime.Version(), runtime.GOMAXPROCS(0), max(cfg.reps, 1))
	fmt.Fprintln(w, "| decoder | text: exact | charset guess | misread (+known) | SA message | text median ms | text p90 ms | boofcv-dev read | monitor | boofcv median ms | boofcv p90 ms | max ms (all images) | median vs zxing-cpp (text / boofcv) | max vs zxing-cpp's max |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, s := range scores {
		sa := "–"
		if s.textN > 0 {
			sa = map[bool]string{true: "yes", false: "no"}[s.appendOK]
		}
		tm, bm := median(s.textMS), median(s.boofMS)
		r, rm := "–", "–"
		if ref != nil {
			r = ratio(tm, median(ref.textMS)) + " / " + ratio(bm, median(ref.boofMS))
			rm = ratio(maxMS(s), maxMS(*ref))
		}
		fmt.Fprintf(w, "| %s | %d/%d | %d | %d (+%d) | %s | %.2f | %.2f | %d/%d | %d/%d | %.2f | %.2f | %.0f | %s | %s |\n",
			s.name, s.exact, s.textN, s.charset, s.misread, s.known, sa, tm, percentile(s.textMS, 0.9),
			s.boofHit, s.boofN, s.monitor, s.monitorN, bm, percentile(s.boofMS, 0.9), maxMS(s), r, rm)
	}
	if len(scores) == 0 || scores[0].boofN == 0 {
		return
	}
	var cats []string
	for c := range scores[0].perCat {
		cats = append(cats, c)
	}
	slices.Sort(cats)
	fmt.Fprintln(w)
	fmt.Fprint(w, "| boofcv-dev category |")
	for _, s := range scores {
		fmt.Fprintf(w, " %s |", s.name)
	}
	fmt.Fprint(w, "\n|---|")
	for range scores {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	for _, c := range cats {
		fmt.Fprintf(w, "| %s |", strings.TrimPrefix(c, "boofcv-"))
		for _, s := range scores {
			v := s.perCat[c]
			fmt.Fprintf(w, " %d/%d |", v[0], v[1])
		}
		fmt.Fprintln(w)
	}
}

// maxMS is an engine's slowest image over both corpus parts.
func maxMS(s score) float64 {
	m := 0.0
	for _, v := range s.textMS {
		m = max(m, v)
	}
	for _, v := range s.boofMS {
		m = max(m, v)
	}
	return m
}
