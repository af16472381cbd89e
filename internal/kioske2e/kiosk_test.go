//go:build gocv

package kioske2e

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// windowName finds the kiosk's window by its title (码上行动 · 检查站).
const windowName = "检查站"

// Screen signatures in a screenshot, in the kiosk's light theme.
var (
	verdictPass = color.NRGBA{R: 0x1b, G: 0x8a, B: 0x4b, A: 0xff} // the 通行 banner (ui colorPass)
)

// isPersonPass: the person screen with its green 通行 banner (at least 200×50 px of it).
func isPersonPass(img image.Image) bool { return countColour(img, verdictPass, 1) > 10000 }

// primaryArea counts the pixels of Fyne's primary (blue) colour: the login button, or on the
// home screen the much larger 扫一扫 tile.
func primaryArea(img image.Image) int {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r>>8 < 0x50 && g>>8 > 0x50 && g>>8 < 0x90 && bb>>8 > 0xd0 {
				n++
			}
		}
	}
	return n
}

// isHome: the home screen's 扫一扫 tile (300×110) is there, not just the login button.
func isHome(img image.Image) bool { return primaryArea(img) > 25000 }

// workDir is a directory for one test's files that outlives a failed test, so that the
// screenshots and logs named in its failure message can be read (KIOSKE2E_KEEP=1 keeps it always).
func workDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kioske2e-"+t.Name()+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("KIOSKE2E_KEEP") != "" {
			t.Logf("kept %s (screenshots in screens/, logs *.log)", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return dir
}

// TestKioskScanConfirmReachesHQ drives the real kiosk binary as staff do: the scanner logs in
// with phone and password, a citizen holds a code HQ issued up to the camera (a video), the
// person screen shows 通行, the scanner types 36.5 and confirms, and the check arrives at the real
// HQ with the verdict pass and the temperature.
func TestKioskScanConfirmReachesHQ(t *testing.T) {
	requireTools(t, "Xvfb", "xdotool", "xwd", "convert")
	kioskBin, hqBin := binaries(t)
	dir := workDir(t)
	begin := time.Now()
	step := func(what string) { t.Logf("%6.1fs %s", time.Since(begin).Seconds(), what) }

	h := startHQ(t, hqBin, dir)
	enrollCode := h.setUp()
	code := h.issue(1)
	data := filepath.Join(dir, "kiosk")
	enrollKiosk(t, kioskBin, data, h.url, enrollCode)
	step("HQ set up, kiosk enrolled")
	if st := h.stats(); st.Checks != 0 {
		t.Fatalf("hq stats before the check: checks = %d; want 0", st.Checks)
	}

	// The video: 6 s of an empty view, then the code held up for 1.5 s four times, 4 s apart
	// (longer than the pipeline's 3 s dedupe), so that the test can show it again if the kiosk
	// was not ready for the first.
	const lead, shown, gap, tries = 180, 45, 120, 4
	segs := []segment{{"", lead}}
	for range tries {
		segs = append(segs, segment{code, shown}, segment{"", gap})
	}
	video := filepath.Join(dir, "code.avi")
	writeVideo(t, video, segs)
	feed := newFeeder(t, dir, video)
	feed.playTo(lead)

	d := startXvfb(t, dir)
	kiosk := start(t, filepath.Join(dir, "kiosk.log"), d.env(), kioskBin, "run", "--data", data, "--video", feed.fifo, "--sound=false")
	alive := func() error {
		if kiosk.exited() {
			return fmt.Errorf("kiosk exited: %v\n%s", kiosk.err, kiosk.tail())
		}
		return nil
	}
	win, err := d.waitWindow(windowName, 60*time.Second) // a first start after a build, under load, took 21 s
	if err != nil {
		t.Fatalf("kiosk window: %v%s\n%s", err, d.failShot("window"), kiosk.tail())
	}
	step("window shown")
	d.mustXdo("mousemove", "--window", win, "5", "5")
	d.xdo("windowfocus", "--sync", win) // no window manager: give the kiosk the keyboard
	d.waitScreen("login", 20*time.Second, func(img image.Image) bool { n := primaryArea(img); return n > 3000 && n < 25000 }, alive)

	// 登录: the phone entry has the focus; Tab to the password, Enter submits.
	d.mustXdo("type", "--delay", "30", scannerLogin.phone)
	d.mustXdo("key", "Tab")
	d.mustXdo("type", "--delay", "30", scannerLogin.password)
	d.mustXdo("key", "Return")
	d.waitScreen("home", 20*time.Second, isHome, alive)
	step("logged in")

	// The citizen holds the code up; the person screen shows 通行.
	var person string
	for i := range tries {
		feed.playTo(lead + (i+1)*(shown+gap))
		if p, ok := d.pollScreen(fmt.Sprintf("person-%d", i), 15*time.Second, isPersonPass); ok {
			person = p
			break
		}
		if err := alive(); err != nil {
			t.Fatal(err)
		}
	}
	if person == "" {
		t.Fatalf("no person screen with 通行 after the code was shown %d times%s\n%s", tries, d.failShot("person"), kiosk.tail())
	}
	step("person screen: " + person)

	// 体温 36.5, Enter confirms (the temperature entry has the focus).
	d.mustXdo("type", "--delay", "50", "36.5")
	d.mustXdo("key", "Return")
	d.waitScreen("confirmed", 10*time.Second, func(img image.Image) bool { return !isPersonPass(img) }, alive)

	// The check reaches HQ: `hq stats` counts it within 30 s.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := h.stats()
		if st.Checks == 1 {
			break
		}
		if st.Checks > 1 || time.Now().After(deadline) {
			t.Fatalf("hq stats: checks = %d; want 1 within 30 s%s\nkiosk log:\n%s", st.Checks, d.failShot("hq"), kiosk.tail())
		}
		time.Sleep(time.Second)
	}
	step("check at HQ")
	c := hqCheck(t, h.dsn)
	if c.Verdict != string(checkpoint.OutcomePass) || c.TempTenths != 365 || c.CodeID == "" || c.CodeStatus != "green" {
		t.Fatalf("check at HQ: verdict %q temp %d code %q status %q; want pass (通行), 365, a code id, green",
			c.Verdict, c.TempTenths, c.CodeID, c.CodeStatus)
	}
}

// pollScreen is waitScreen that reports a timeout instead of failing.
func (d *display) pollScreen(label string, timeout time.Duration, ok func(image.Image) bool) (string, bool) {
	deadline := time.Now().Add(timeout)
	for {
		path, img, err := d.shot(label)
		if err == nil && ok(img) {
			return path, true
		}
		if time.Now().After(deadline) {
			return path, false
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// hqCheck reads the one check record HQ holds from its database.
func hqCheck(t *testing.T, dsn string) checkpoint.Check {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id string
	if err := db.SQL().QueryRowContext(ctx, `SELECT id FROM records WHERE kind = 'check'`).Scan(&id); err != nil {
		t.Fatalf("the check at HQ: %v", err)
	}
	r, err := db.Record(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var c checkpoint.Check
	if err := json.Unmarshal(r.Body, &c); err != nil {
		t.Fatalf("check body: %v", err)
	}
	if !strings.HasPrefix(r.SiteID, siteID) {
		t.Errorf("check site %q; want %q", r.SiteID, siteID)
	}
	return c
}
