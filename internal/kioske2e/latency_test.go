//go:build gocv

package kioske2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	gosync "sync"
	"testing"
	"time"

	hqdemo "github.com/yongji-county/checkpoint/hq/demo"
	"github.com/yongji-county/checkpoint/scanner"
	"github.com/yongji-county/checkpoint/station"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// latencyResult is what one pass of the frame → verdict measurement found.
type latencyResult struct {
	shown, read   int             // code appearances in the video, and those that reached a verdict
	passes        int             // verdicts that were 通行
	seen          []int           // first frames of the codes read
	lat           []time.Duration // first frame with the code in view → verdict, sorted
	p50, p95, max time.Duration
}

// measureFrameToVerdict plays a 1280×720 video at its own 30 fps (as a camera gives frames)
// through the kiosk's camera pipeline (scanner.Pipeline with the default decoder and dedupe, as
// cmd/kiosk wires it) and hands each code read to the station, as the window does: Scan verifies
// the signature, asks HQ for the live status (the demo HQ on loopback) and decides. The latency
// of an appearance is from the capture of the first frame showing the code to the verdict.
func measureFrameToVerdict(t testing.TB, appearances int) latencyResult {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	demo, err := hqdemo.Start(ctx, hqdemo.Config{Dir: filepath.Join(dir, "hq"), AdminToken: adminToken})
	if err != nil {
		t.Fatal(err)
	}
	defer demo.Close()
	db, err := store.OpenDir(ctx, filepath.Join(dir, "kiosk"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	client := sync.New(db, sync.Config{BaseURL: demo.URL, StatusTimeout: 1500 * time.Millisecond})
	if _, err := client.Enroll(ctx, demo.URL, demo.Info.EnrollmentCode); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	st := station.New(station.Config{DB: db, Sync: client})
	var sess station.Session
	for _, l := range demo.Info.Logins {
		if l.Role == "scanner" {
			if sess, err = st.Login(ctx, l.Phone, l.Password); err != nil {
				t.Fatal(err)
			}
		}
	}

	// A new person for each appearance: 0.2 s of empty view, then the code held up for 0.5 s.
	const blank, shown = 6, 15
	var segs []segment
	first := map[string]int{} // code → index of the first frame showing it
	frame := 0
	for i := range appearances {
		code := issueDemo(t, demo.URL, i)
		segs = append(segs, segment{"", blank}, segment{code, shown})
		first[code] = frame + blank
		frame += blank + shown
	}
	segs = append(segs, segment{"", blank})
	video := filepath.Join(dir, "people.avi")
	writeVideo(t, video, segs)

	src, err := scanner.NewLiveVideo(video)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := scanner.NewDefaultDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	// inView is when each code came into view: the capture time of the first frame showing it
	// that the capture delivered, less a frame period for each earlier one it skipped (a camera
	// that falls behind drops frames).
	var mu gosync.Mutex
	inView := map[int]time.Time{} // by the index of the code's first frame
	period := time.Second / fps
	timed := sourceFunc(func(ctx context.Context, fn func(scanner.Frame) error) error {
		return src.Frames(ctx, func(f scanner.Frame) error {
			if k := f.Index/(blank+shown)*(blank+shown) + blank; f.Index >= k {
				mu.Lock()
				if _, ok := inView[k]; !ok {
					inView[k] = f.Grabbed.Add(-time.Duration(f.Index-k) * period)
				}
				mu.Unlock()
			}
			return fn(f)
		})
	})
	// As in cmd/kiosk: the pipeline never waits for the window; the window takes codes from a
	// channel of 4 and verifies them one at a time.
	codes := make(chan string, 4)
	var res latencyResult
	res.shown = appearances
	done := make(chan struct{})
	go func() {
		defer close(done)
		for text := range codes {
			v := st.Scan(ctx, sess, text)
			at := time.Now()
			mu.Lock()
			g, ok := inView[first[text]]
			mu.Unlock()
			if !ok || !v.Valid {
				t.Logf("code read but not verified or not timed: valid %v (%s), timed %v", v.Valid, v.ErrorKind, ok)
				continue
			}
			res.read++
			res.seen = append(res.seen, first[text])
			if v.Decision.Verdict == "pass" {
				res.passes++
			}
			res.lat = append(res.lat, at.Sub(g))
		}
	}()
	p := &scanner.Pipeline{Decoder: dec, Dedupe: &scanner.Dedupe{}}
	err = p.Run(ctx, timed, func(s scanner.Scan) {
		select {
		case codes <- s.Text:
		default:
			t.Logf("code dropped at frame %d: the verifier has 4 waiting", s.Frame)
		}
	})
	close(codes)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(res.lat)
	if n := len(res.lat); n > 0 {
		res.p50, res.p95, res.max = res.lat[n/2], res.lat[(n*95+99)/100-1], res.lat[n-1]
	}
	return res
}

type sourceFunc func(ctx context.Context, fn func(scanner.Frame) error) error

func (f sourceFunc) Frames(ctx context.Context, fn func(scanner.Frame) error) error {
	return f(ctx, fn)
}

// issueDemo has the demo HQ issue a live code for a new person.
func issueDemo(t testing.TB, url string, seq int) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"name": "李四", "id_number": residentID("220221", "19900101", 100+seq)})
	req, _ := http.NewRequest("POST", url+"/api/v1/codes", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		Code string `json:"code"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != 200 {
		t.Fatalf("issue code: HTTP %d %v", resp.StatusCode, err)
	}
	return c.Code
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// latencyGoal is the p95 frame-in → verdict the kiosk aims at.
const latencyGoal = 150 * time.Millisecond

// TestFrameToVerdictLatency: 50 people hold a code up to the camera for 0.5 s each; (nearly)
// every one gets a verdict (通行) soon after its code is in view; p50/p95 are logged against the
// 150 ms goal (BenchmarkFrameToVerdict reports them for make bench).
func TestFrameToVerdictLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a 35 s video")
	}
	r := measureFrameToVerdict(t, 50)
	if raceEnabled {
		t.Logf("race detector: %d of %d read; timing not checked", r.read, r.shown)
		if r.read < r.shown/2 || r.passes != r.read {
			t.Fatalf("%d codes shown, %d verified, %d passes; want at least half read, every one 通行", r.shown, r.read, r.passes)
		}
		return
	}
	t.Logf("frame-in → verdict over %d appearances: p50 %.1f ms, p95 %.1f ms, max %.1f ms (goal p95 ≤ %v)",
		len(r.lat), ms(r.p50), ms(r.p95), ms(r.max), latencyGoal)
	if r.read != r.shown {
		t.Logf("first frames of the codes read: %v", r.seen)
	}
	// On a machine shared with builds (load 10+ on 2 cores) a code held up for only 0.5 s is
	// now and then not read in time; more than two of 50 is a fault.
	if r.read < r.shown-2 || r.passes != r.read {
		t.Fatalf("%d codes shown, %d verified, %d passes; want at least %d read, every one 通行", r.shown, r.read, r.passes, r.shown-2)
	}
	if r.max > 500*time.Millisecond+time.Second {
		t.Errorf("slowest verdict %.0f ms: a code was not read while in view (0.5 s) plus 1 s", ms(r.max))
	}
}

// BenchmarkFrameToVerdict reports frame-in → verdict p50/p95 over 60 code appearances per
// iteration (run with -benchtime 1x).
func BenchmarkFrameToVerdict(b *testing.B) {
	var all []time.Duration
	read, shown := 0, 0
	for range b.N {
		r := measureFrameToVerdict(b, 60)
		all = append(all, r.lat...)
		read, shown = read+r.read, shown+r.shown
	}
	slices.Sort(all)
	n := len(all)
	if n == 0 {
		b.Fatal("no code read")
	}
	b.ReportMetric(float64(read), "read")
	b.ReportMetric(float64(shown), "shown")
	b.ReportMetric(ms(all[n/2]), "p50_ms")
	b.ReportMetric(ms(all[(n*95+99)/100-1]), "p95_ms")
	b.ReportMetric(ms(all[n-1]), "max_ms")
	b.ReportMetric(0, "ns/op")
}
