// Package ui is the kiosk's Fyne screens: login, home, scan (扫一扫), person info (人员信息),
// assisted registration (辅助登记), site management (站点管理), the local log and the sync state.
// It holds widgets and navigation only; every decision and every byte stored is behind the small
// interfaces below, which *station.Station implements.
package ui

import (
	"context"
	"image"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/station"
)

// Auth logs staff in and out.
type Auth interface {
	Login(ctx context.Context, phone, password string) (station.Session, error)
	Logout(ctx context.Context, s station.Session)
}

// Checker verifies scanned codes and records checks.
type Checker interface {
	Scan(ctx context.Context, s station.Session, text string) station.ScanView
	Decide(v station.ScanView, temp string, localStay bool) (station.Decision, error)
	Confirm(ctx context.Context, s station.Session, v station.ScanView, temp string, localStay bool) (station.Decision, error)
	ShiftCount(s station.Session) int
}

// Registrar handles assisted registration.
type Registrar interface {
	SendSMS(ctx context.Context, phone string) error
	CheckRegistration(r station.Registration) error
	Register(ctx context.Context, s station.Session, r station.Registration) (station.Decision, error)
}

// Sites is site management for supervisors.
type Sites interface {
	Sites(ctx context.Context, s station.Session) ([]checkpoint.Site, error)
	SaveSite(ctx context.Context, s station.Session, site checkpoint.Site, created bool) error
	AddStaff(ctx context.Context, s station.Session, n station.NewStaff) error
	// Notices lists the supervisor's edits HQ did not apply (superseded), newest first.
	Notices(ctx context.Context, s station.Session) ([]station.Notice, error)
}

// Log reads the local log.
type Log interface {
	QueryLog(ctx context.Context, s station.Session, f station.LogFilter) ([]station.LogRow, int, error)
}

// LogReview is the supervisor's side of the log: the staff filter's choices, one record's
// detail and the masked export.
type LogReview interface {
	LogStaff(ctx context.Context, s station.Session) ([]station.StaffChoice, error)
	LogDetail(ctx context.Context, s station.Session, id string) (station.LogDetail, error)
	ExportLog(ctx context.Context, s station.Session, f station.LogFilter, format string) (path string, n int, err error)
}

// Settings is the supervisor's settings screen (设置): what HQ set, and the sound preference.
type Settings interface {
	Settings(ctx context.Context, s station.Session) (station.SettingsView, error)
	SetSound(ctx context.Context, s station.Session, on bool) error
}

// Enroller enrolls a kiosk not yet enrolled with HQ (登记设备); errors are station Problems.
type Enroller interface {
	Enroll(ctx context.Context, hqURL, code string, force bool) error
}

// Quarantine is the supervisor's view of the records HQ could not store.
type Quarantine interface {
	Quarantined(ctx context.Context, s station.Session) ([]station.QuarantineRow, error)
	Requeue(ctx context.Context, s station.Session, ids ...string) error
	ExportQuarantine(ctx context.Context, s station.Session) (path string, n int, err error)
}

// Syncer reports and triggers synchronisation with HQ.
type Syncer interface {
	SyncView(ctx context.Context) station.SyncView
	SyncNow()
}

// ImageDecoder reads a health code out of a still image (a photo or a screenshot a person
// sends), the fallback source when there is no camera.
type ImageDecoder interface {
	DecodeImage(img image.Image) (text string, ok bool)
}

// Wedge tells a keyboard-wedge scanner's burst of keys from a person typing (scanner.Wedge).
type Wedge interface {
	Key(r rune, t time.Time) (string, bool)
}

// Frames is the camera: the latest preview frame and decoded texts. Nil when the kiosk has no camera.
type Frames interface {
	Preview() <-chan image.Image
	Codes() <-chan string
}

// Sound plays a verdict's tone and spoken word and holds the sound on/off switch (sound.Player).
type Sound interface {
	Play(o checkpoint.Outcome)
	// PlayThen plays the verdict, then a bundled clip (sound.ClipMeasureTemp), as one sound.
	PlayThen(o checkpoint.Outcome, clip string)
	SetEnabled(on bool)
	Enabled() bool
}

// Deps is everything the screens need.
type Deps struct {
	Auth      Auth
	Checker   Checker
	Registrar Registrar
	Sites     Sites
	Log       Log
	// LogReview adds the staff and site filters, record detail and export to the log; nil hides them.
	LogReview LogReview
	Syncer    Syncer
	// Quarantine lists, exports and requeues quarantined records; nil hides the screen.
	Quarantine Quarantine
	// Enroller lets the login screen of a kiosk not enrolled (and not in demo mode) enroll it.
	Enroller Enroller
	// Settings backs the supervisor's settings screen; nil hides it.
	Settings Settings
	Camera   Frames // may be nil
	// DemoCamera says Camera is the demo video standing in for a camera not attached.
	DemoCamera bool
	// Images decodes an opened image file on the scan screen (打开图片); nil hides the button.
	Images ImageDecoder
	Wedge  Wedge // may be nil: keys typed outside any entry are then ignored
	Sound  Sound // may be nil: verdicts are then silent
	// Lang is zh or en; empty means the language kept in Prefs (设置 → 语言), else zh.
	Lang string
	// FullScreen set overrides the full-screen setting kept in Prefs (--fullscreen).
	FullScreen *bool
	// Prefs keeps the settings screen's language, full screen, camera and resolution; nil
	// keeps them for this run only.
	Prefs Prefs
	// Cameras lists the attached cameras for the settings screen; nil offers only 自动, the demo
	// video and none.
	Cameras  func(ctx context.Context) []CameraOption
	DemoHint string // demo logins shown on the login screen in demo mode
	IdleLock time.Duration
	Now      func() time.Time
}

// UI is the kiosk's window and its navigation.
type UI struct {
	app  fyne.App
	win  fyne.Window
	deps Deps
	tr   *catalogue
	sess *station.Session

	header    *header
	body      *fyne.Container
	current   string
	screen    any // the screen struct on show
	lastTouch time.Time
}

// New builds the kiosk UI in a new window of a. Call Show (or ShowAndRun) on the result.
func New(a fyne.App, d Deps) (*UI, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.IdleLock == 0 {
		d.IdleLock = 10 * time.Minute
	}
	u := &UI{app: a, deps: d}
	lang := d.Lang
	if lang == "" {
		lang = u.pref(PrefLang)
	}
	tr, err := loadCatalogue(lang)
	if err != nil {
		return nil, err
	}
	u.tr = tr
	a.Settings().SetTheme(newTheme())
	u.win = a.NewWindow(tr.T("app.title"))
	u.win.Resize(fyne.NewSize(1024, 720))
	if d.FullScreen != nil {
		u.win.SetFullScreen(*d.FullScreen)
	} else if u.pref(PrefFullScreen) == "on" {
		u.win.SetFullScreen(true)
	}
	u.header = newHeader(u)
	u.body = container.NewStack()
	u.win.SetContent(container.NewBorder(u.header.box, nil, nil, nil, u.body))
	u.showLogin()
	// Keys that reach no entry (home screen, log, ...) may be a handheld scanner "typing" a code.
	u.win.Canvas().SetOnTypedRune(func(r rune) { u.wedgeKey(r) })
	u.win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
			u.wedgeKey('\n')
		}
	})
	return u, nil
}

func (u *UI) wedgeKey(r rune) {
	if u.deps.Wedge == nil {
		return
	}
	if text, ok := u.deps.Wedge.Key(r, u.deps.Now()); ok {
		u.onCode(text)
	}
}

// Window is the kiosk's window.
func (u *UI) Window() fyne.Window { return u.win }

// T translates key for the current language.
func (u *UI) T(key string, args ...any) string { return u.tr.T(key, args...) }

// regionName is a division code as the domain names it in the current language: 吉林省吉林市永吉县,
// or in English 吉林省吉林市永吉县 (220221) (the names have no English form); unknown codes read
// 未知地区（220299） / unknown region (220299).
func (u *UI) regionName(code string) string {
	if u.tr.Lang() == LangEN {
		n, _ := checkpoint.RegionNameEN(code)
		return n
	}
	n, _ := checkpoint.RegionName(code)
	return n
}

func (u *UI) setBody(name string, o fyne.CanvasObject) {
	// The entry that had the focus on the old screen is gone: without this, a handheld
	// scanner's keys on the new one (扫码枪可直接扫码，无需点击) would still go to it.
	u.win.Canvas().Unfocus()
	u.current = name
	u.body.Objects = []fyne.CanvasObject{o}
	u.body.Refresh()
	u.header.refresh()
}

// Current names the screen on show (for tests and screenshots).
func (u *UI) Current() string { return u.current }

func (u *UI) ctx() context.Context { return context.Background() }

// touched notes activity for the idle lock.
func (u *UI) touched() { u.lastTouch = u.deps.Now() }

// StartBackground runs the header refresh and the idle lock until ctx ends.
func (u *UI) StartBackground(ctx context.Context) {
	u.touched()
	go func() {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		// The badge at once, not after the first tick: a kiosk just enrolled is not shown
		// "not enrolled" for two seconds.
		v := u.deps.Syncer.SyncView(ctx)
		fyne.Do(func() { u.header.setSync(v) })
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				v := u.deps.Syncer.SyncView(ctx)
				fyne.Do(func() {
					u.header.setSync(v)
					if u.sess != nil && u.deps.Now().Sub(u.lastTouch) > u.deps.IdleLock {
						u.logout()
					}
				})
			}
		}
	}()
	if u.deps.Camera != nil {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case img, ok := <-u.deps.Camera.Preview():
					if !ok {
						return
					}
					fyne.Do(func() { u.showFrame(img) })
				case text, ok := <-u.deps.Camera.Codes():
					if !ok {
						return
					}
					fyne.Do(func() { u.onCode(text) })
				}
			}
		}()
	}
}

func (u *UI) showFrame(img image.Image) {
	if s, ok := u.screen.(*scanScreen); ok && u.current == "scan" {
		s.setFrame(img)
	}
}

// onCode receives a decoded code from the camera or a keyboard-wedge scanner.
func (u *UI) onCode(text string) {
	if u.sess == nil || (u.current != "scan" && u.current != "home" && u.current != "person") {
		return
	}
	if p, ok := u.screen.(*personScreen); ok && u.current == "person" && p.view.Text == text {
		// The person on show still holds the code up: keep what staff are typing.
		return
	}
	u.touched()
	u.showPerson(text)
}

func (u *UI) logout() {
	if u.sess != nil {
		u.deps.Auth.Logout(u.ctx(), *u.sess)
	}
	u.sess = nil
	u.showLogin()
}

// errorLabel is a label for messages to staff, wrapping and in the warning colour.
func errorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.DangerImportance
	return l
}
