package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/assets"
	hqdemo "github.com/yongji-county/checkpoint/hq/demo"
	"github.com/yongji-county/checkpoint/scanner"
	"github.com/yongji-county/checkpoint/sound"
	"github.com/yongji-county/checkpoint/sound/speaker"
	"github.com/yongji-county/checkpoint/station"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
	"github.com/yongji-county/checkpoint/ui"
)

func init() {
	register("run", "open the kiosk window (the default)", runKiosk)
}

type runFlags struct {
	data       string
	demo       bool
	hqURL      string
	ca         string
	camera     string
	video      string
	loop       bool
	lang       string
	fullscreen bool
	tour       string
	xwd        string
	sound      bool
	// set holds the flags given on the command line: those override the kept settings.
	set map[string]bool
}

// kioskMemoryLimit is the Go heap's soft limit in the window (GOMEMLIMIT overrides it), and
// kioskGCPercent its GOGC (GOGC overrides it): the window's live heap is ~33 MB, most of it the
// parsed fonts, and it allocates ~6 MB/s (camera preview, decoder), so the heap is let grow by a
// quarter of what is live before a collection (every second or two; 10 MB less resident than at
// 50, at the same CPU: 46% of a core on a 30 fps 720p stream either way) and never past the limit.
const (
	kioskMemoryLimit = 120 << 20
	kioskGCPercent   = 25
)

func defaultDataDir() string {
	if d, err := os.UserHomeDir(); err == nil {
		return filepath.Join(d, ".local", "share", "checkpoint")
	}
	return "checkpoint-data"
}

func runKiosk(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kiosk run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f runFlags
	fs.StringVar(&f.data, "data", defaultDataDir(), "kiosk data directory (holds kiosk.db)")
	fs.BoolVar(&f.demo, "demo", false, "start an embedded demo HQ with demo sites, staff and people, and enroll with it")
	fs.StringVar(&f.hqURL, "hq", "", "HQ base URL (overrides the one saved at enrollment)")
	fs.StringVar(&f.ca, "ca", "", "PEM file of CA certificates to trust for HQ's https (a private CA)")
	fs.StringVar(&f.camera, "camera", "0", "camera: device index or path (e.g. /dev/video0); \"none\" for no camera (default: the one kept in 设置, else the first attached; with --demo and none attached, a demo video)")
	fs.StringVar(&f.video, "video", "", "read frames from this video file instead of a camera")
	fs.BoolVar(&f.loop, "loop", false, "with --video: play it at its own frame rate, again and again, as a camera")
	fs.StringVar(&f.lang, "lang", "zh", "UI language: zh or en (default: the one kept in 设置, else zh)")
	fs.BoolVar(&f.fullscreen, "fullscreen", false, "fullscreen kiosk mode")
	fs.StringVar(&f.tour, "tour", "", "render every screen into PNG files in this directory, then quit")
	fs.StringVar(&f.xwd, "xwd-display", "", "with --tour: also grab the whole X display with xwd")
	fs.BoolVar(&f.sound, "sound", true, "sound each verdict: a tone and the verdict spoken (a machine without a sound device stays silent)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kiosk run: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if f.lang != ui.LangZH && f.lang != ui.LangEN {
		fmt.Fprintln(stderr, "kiosk run: --lang must be zh or en")
		return 2
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := runWindow(ctx, f, stdout, logger); err != nil {
		fmt.Fprintf(stderr, "kiosk: %v\n", err)
		return 1
	}
	return 0
}

func runWindow(ctx context.Context, f runFlags, stdout io.Writer, logger *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A kiosk runs all day beside other programs: a soft limit makes the Go heap give back what
	// a login's argon2id hash (64 MiB) leaves behind instead of keeping it while the kiosk idles.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(kioskMemoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(kioskGCPercent)
	}
	db, err := store.OpenDir(ctx, f.data, store.Options{Logger: logger})
	if err != nil {
		return err
	}
	defer db.Close()

	var demoInfo *hqdemo.Info
	if f.demo {
		dir := filepath.Join(f.data, "demo-hq")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		demo, err := hqdemo.Start(ctx, hqdemo.Config{Dir: dir, Logger: logger})
		if err != nil {
			return fmt.Errorf("start demo HQ: %w", err)
		}
		defer demo.Close()
		f.hqURL = demo.URL
		demoInfo = &demo.Info
		fmt.Fprintf(stdout, "demo HQ: %s\n", demo.URL)
		fmt.Fprintf(stdout, "吉事办 citizen pages: %s/ (open in a browser: register with the demo SMS, show the code, scan it here)\n", demo.URL)
		for _, l := range demo.Info.Logins {
			fmt.Fprintf(stdout, "demo login: %s / %s (%s)\n", l.Phone, l.Password, l.Role)
		}
		for _, c := range demo.Info.Codes {
			// Paste one into 扫一扫's entry, or show it to the camera, to try a check.
			fmt.Fprintf(stdout, "demo code (%s): %s\n", c.Label, c.Code)
		}
	}
	hc, err := httpClient(f.ca)
	if err != nil {
		return err
	}
	client := sync.New(db, sync.Config{BaseURL: f.hqURL, Logger: logger, DeviceName: hostname(),
		StatusTimeout: 1500 * time.Millisecond, HTTPClient: hc})
	if demoInfo != nil {
		if err := enrollDemo(ctx, db, client, f.hqURL, demoInfo.EnrollmentCode); err != nil {
			return err
		}
	}
	st := station.New(station.Config{DB: db, Sync: client, Logger: logger})

	// Fyne reads the locale from LANG and complains about "C"; the UI language is ours anyway.
	if l := os.Getenv("LANG"); l == "" || strings.HasPrefix(l, "C") || strings.HasPrefix(l, "POSIX") {
		os.Setenv("LANG", "zh_CN.UTF-8")
	}
	a := app.NewWithID("cn.gov.yongji.checkpoint")
	a.SetIcon(assets.Icon)
	deps := ui.Deps{Auth: freeingAuth{Auth: st}, Checker: st, Registrar: st, Sites: st, Log: st, LogReview: st, Syncer: st, Quarantine: st, Settings: st, Enroller: st,
		Wedge: scanner.NewWedge(scanner.WedgeConfig{}), Prefs: db, Cameras: listCameras}
	if f.set["lang"] {
		deps.Lang = f.lang
	}
	if f.set["fullscreen"] {
		deps.FullScreen = &f.fullscreen
	}
	if demoInfo != nil {
		var hints []string
		for _, l := range demoInfo.Logins {
			hints = append(hints, fmt.Sprintf("%s / %s", l.Phone, l.Password))
		}
		deps.DemoHint = strings.Join(hints, "    ")
	}
	if dec, err := scanner.NewDecoder(scanner.Options{}); err == nil {
		defer dec.Close()
		deps.Images = imageDecoder{dec}
	} else {
		logger.Warn("no image decoder", "err", err)
	}
	deps.Sound = openSound(f, logger)
	if f.sound && !st.SoundOn(ctx) {
		deps.Sound.SetEnabled(false) // a supervisor turned it off on this kiosk
	}
	prefCam, _, _ := db.Pref(ctx, ui.PrefCamera)
	prefRes, _, _ := db.Pref(ctx, ui.PrefResolution)
	plan := planCamera(f, f.set, prefCam, prefRes, videoDevices(), demoInfo != nil)
	demoText := ""
	if demoInfo != nil && len(demoInfo.Codes) > 0 {
		demoText = demoInfo.Codes[0].Code
	}
	var cam *camera
	var camErr error
	if plan.kind == camDemo && f.tour != "" {
		// The tour's scan screen shows the phone held up; it reads nothing, so no code
		// interrupts the screens it renders.
		var img image.Image
		if img, camErr = demoStill(cmp.Or(demoText, demoPlaceholder), plan.width, plan.height); camErr == nil {
			cam = stillCamera(ctx, img)
		}
	} else {
		cam, camErr = openCamera(ctx, plan, demoText, f.data, logger)
	}
	if cam != nil {
		deps.Camera = cam
		deps.DemoCamera = plan.kind == camDemo
		if plan.auto {
			fmt.Fprintln(stdout, "摄像头：未发现摄像头，播放演示视频（手机出示演示码） / camera: none attached, playing a demo video of a phone showing a demo code")
		}
	} else if camErr != nil {
		logger.Info("no camera", "reason", camErr)
	}
	u, err := ui.New(a, deps)
	if err != nil {
		return err
	}
	go func() {
		if err := client.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Warn("sync stopped", "err", err)
		}
	}()
	u.StartBackground(ctx)
	u.Window().SetCloseIntercept(func() {
		cancel()
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = client.Shutdown(sctx)
		a.Quit()
	})
	if f.tour != "" {
		go func() {
			tour := ui.Tour{Dir: f.tour, XWDDisplay: f.xwd}
			if demoInfo != nil {
				for _, l := range demoInfo.Logins {
					tour.Logins = append(tour.Logins, [2]string{l.Phone, l.Password})
				}
				for _, c := range demoInfo.Codes {
					tour.Codes = append(tour.Codes, c.Code)
				}
			}
			if err := u.RunTour(ctx, tour); err != nil {
				logger.Error("tour failed", "err", err)
			}
			fyne.Do(a.Quit)
		}()
	}
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	go trimEvery(ctx, cHeapTrimEvery)
	u.Window().ShowAndRun()
	return nil
}

// enrollDemo enrolls the kiosk with the embedded demo HQ the first time, then pulls its data.
func enrollDemo(ctx context.Context, db *store.DB, c *sync.Client, url, code string) error {
	d, err := db.Device(ctx)
	if err != nil || d.ID == "" || d.HQURL != url || d.RootKey == nil {
		if _, err := c.Enroll(ctx, url, code); err != nil {
			return fmt.Errorf("enroll with demo HQ: %w", err)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := c.Pull(pctx); err != nil {
		return fmt.Errorf("first pull from demo HQ: %w", err)
	}
	return nil
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "kiosk"
	}
	return h
}

// imageDecoder reads a code out of an image file opened on the scan screen (打开图片): the
// decoder's full cascade on the whole image, our code preferred over any other QR in it.
type imageDecoder struct{ dec *scanner.Decoder }

func (d imageDecoder) DecodeImage(img image.Image) (string, bool) {
	rs, err := d.dec.Decode(scanner.GreyFromImage(img))
	if err != nil || len(rs) == 0 {
		return "", false
	}
	for _, r := range rs {
		if strings.HasPrefix(r.Text, checkpoint.CodePrefix) {
			return r.Text, true
		}
	}
	return rs[0].Text, true
}

// openSound opens the sound device even with --sound=false, so that the settings switch can turn
// sound on later; --tour renders screens silently.
func openSound(f runFlags, logger *slog.Logger) *sound.Player {
	open := speaker.Open
	if f.tour != "" {
		open = nil
	}
	p := sound.New(open, logger)
	p.SetEnabled(f.sound)
	return p
}

// listCameras is the settings screen's list of attached cameras.
func listCameras(ctx context.Context) []ui.CameraOption {
	var out []ui.CameraOption
	for _, p := range videoDevices() {
		name, _ := os.ReadFile(filepath.Join("/sys/class/video4linux", filepath.Base(p), "name"))
		out = append(out, ui.CameraOption{Path: p, Name: strings.TrimSpace(string(name))})
	}
	return out
}
