package scanner

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/yongji-county/checkpoint/scanner/qrcorpus"
)

// floors are the least a build must read of the shared corpus; they are set at what the cascade
// achieves (see docs/BENCHMARKS.md), so a change that reads worse fails. The targets:
// text ≥ 272/316 exact with no misread beyond character-set guesses, boofcv-dev ≥ zxing-cpp's
// 174/272 and every monitor image.
type floors struct {
	textExact, boofcv, monitor int
	// category holds per boofcv-dev category floors (by directory name without "boofcv-"),
	// where the build reads what zxing-cpp reads or is being brought there.
	category map[string]int
}

func corpusItems(t *testing.T, load func(string) ([]qrcorpus.Item, error)) []qrcorpus.Item {
	t.Helper()
	if raceEnabled {
		t.Skip("corpus floors are checked without -race (go test [-tags gocv] -run Corpus ./scanner): minutes under the race detector")
	}
	if testing.Short() {
		t.Skip("corpus test skipped in -short mode")
	}
	dir, err := qrcorpus.Dir()
	if err != nil {
		t.Skipf("shared QR corpus not found, skipping (a clone without ../shared): %v", err)
	}
	items, err := load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) == 0 {
		t.Skipf("shared QR corpus at %s is empty", dir)
	}
	return items
}

// decodeAll decodes the items on all cores, one Decoder per worker.
func decodeAll(t *testing.T, items []qrcorpus.Item, newDec func() (*Decoder, error)) [][]Result {
	t.Helper()
	out := make([][]Result, len(items))
	next := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, runtime.GOMAXPROCS(0))
	for range runtime.GOMAXPROCS(0) {
		d, err := newDec()
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer d.Close()
			for i := range next {
				g, err := ReadImage(items[i].Path)
				if err != nil {
					errs <- err
					continue
				}
				out[i], err = d.Decode(g)
				if err != nil {
					errs <- fmt.Errorf("%s: %w", items[i].Path, err)
				}
			}
		}()
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	return out
}

func TestCorpusText(t *testing.T) {
	items := corpusItems(t, qrcorpus.Text)
	results := decodeAll(t, items, corpusDecoder)
	var exact, charset, missed, misread, known, n int
	var parts []Result
	want := ""
	for i, it := range items {
		if it.Set == qrcorpus.AppendSet {
			parts = append(parts, results[i]...)
			want = string(it.Want)
			continue
		}
		n++
		key := it.Key()
		switch qrcorpus.Compare(it.Want, texts(results[i])) {
		case qrcorpus.Exact:
			exact++
		case qrcorpus.Charset:
			charset++
			t.Logf("character-set guess (not a misread): %s: %q, want %q", key, texts(results[i]), it.Want)
		case qrcorpus.Missed:
			missed++
		case qrcorpus.Misread:
			if why, ok := qrcorpus.KnownMismatches[key]; ok {
				known++
				t.Logf("known mismatch %s: %s", key, why)
				continue
			}
			misread++
			t.Errorf("MISREAD %s: %q, want %q", key, texts(results[i]), it.Want)
		}
	}
	t.Logf("text corpus: %d/%d exact, %d character-set guesses, %d known mismatches, %d missed, %d misread", exact, n, charset, known, missed, misread)
	f := corpusFloors()
	if exact < f.textExact {
		t.Errorf("text corpus: %d/%d exact; the floor is %d", exact, n, f.textExact)
	}
	if got, ok := JoinAppend(parts); !ok || got != want {
		t.Errorf("structured append %s: joined %q (complete %v); want %q", qrcorpus.AppendSet, got, ok, want)
	}
}

func TestCorpusBoofCV(t *testing.T) {
	items := corpusItems(t, qrcorpus.Positions)
	results := decodeAll(t, items, corpusDecoder)
	read, monitor, monitors := 0, 0, 0
	perSet := map[string][2]int{}
	for i, it := range items {
		var centres []qrcorpus.Point
		for _, r := range results[i] {
			c := r.Centre()
			centres = append(centres, qrcorpus.Point{X: c.X, Y: c.Y})
		}
		hit := it.HitsLabel(centres)
		c := perSet[it.Set]
		c[1]++
		if hit {
			read++
			c[0]++
		}
		perSet[it.Set] = c
		if it.Set == "boofcv-monitor" {
			monitors++
			if hit {
				monitor++
			}
		}
	}
	var sets []string
	for s, c := range perSet {
		sets = append(sets, fmt.Sprintf("%s %d/%d", strings.TrimPrefix(s, "boofcv-"), c[0], c[1]))
	}
	sort.Strings(sets)
	t.Logf("boofcv-dev: %d/%d read, monitor %d/%d; %s", read, len(items), monitor, monitors, strings.Join(sets, ", "))
	f := corpusFloors()
	if read < f.boofcv {
		t.Errorf("boofcv-dev: %d/%d read; the floor is %d", read, len(items), f.boofcv)
	}
	if monitor < f.monitor {
		t.Errorf("boofcv-dev monitor: %d/%d read; the floor is %d", monitor, monitors, f.monitor)
	}
	for c, n := range f.category {
		if got := perSet["boofcv-"+c]; got[0] < n {
			t.Errorf("boofcv-dev %s: %d/%d read; the floor is %d", c, got[0], got[1], n)
		}
	}
}
