package ui

import (
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// Tour drives the real window through every screen and saves each as a PNG, for the
// documentation's screenshots and for looking at what staff see.
type Tour struct {
	Dir        string
	Logins     [][2]string // phone, password; the first must be a supervisor
	Codes      []string    // demo codes to scan: the tour shows the person screen for the first few
	XWDDisplay string      // when set, also grab the whole X display with xwd + convert
}

// RunTour runs t. It must not be called from the Fyne goroutine.
func (u *UI) RunTour(ctx context.Context, t Tour) error {
	if err := os.MkdirAll(t.Dir, 0o755); err != nil {
		return err
	}
	n := 0
	shot := func(name string, step func()) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fyne.DoAndWait(step)
		time.Sleep(700 * time.Millisecond)
		n++
		out := filepath.Join(t.Dir, fmt.Sprintf("%02d-%s.png", n, name))
		if t.XWDDisplay != "" {
			return grabDisplay(ctx, t.XWDDisplay, out, u.win.Canvas().Size())
		}
		var err error
		fyne.DoAndWait(func() {
			img := u.win.Canvas().Capture()
			var f *os.File
			f, err = os.Create(out)
			if err != nil {
				return
			}
			defer f.Close()
			err = png.Encode(f, img)
		})
		return err
	}
	steps := []struct {
		name string
		f    func()
	}{
		{"login", func() { u.showLogin() }},
	}
	if len(t.Logins) > 0 {
		steps = append(steps,
			struct {
				name string
				f    func()
			}{"home", func() {
				s := u.screen.(*loginScreen)
				s.phone.SetText(t.Logins[0][0])
				s.password.SetText(t.Logins[0][1])
				s.onSubmit()
			}},
			struct {
				name string
				f    func()
			}{"scan", func() { u.showScan() }},
		)
	}
	type step = struct {
		name string
		f    func()
	}
	for i, c := range t.Codes {
		if i >= 4 {
			break
		}
		code := c
		steps = append(steps, step{fmt.Sprintf("person-%d", i+1), func() {
			u.showPerson(code)
			if p, ok := u.screen.(*personScreen); ok && p.view.Valid {
				p.temp.SetText("36.6")
			}
		}})
		if i == 0 {
			steps = append(steps, step{"confirmed", func() {
				if p, ok := u.screen.(*personScreen); ok {
					p.onConfirm()
				}
			}})
		}
	}
	steps = append(steps,
		step{"person-fever", func() {
			if len(t.Codes) > 0 {
				u.showPerson(t.Codes[0])
				if p, ok := u.screen.(*personScreen); ok {
					p.temp.SetText("38.2")
				}
			}
		}},
		step{"invalid-code", func() { u.showPerson("JXM:NOT-A-REAL-CODE") }},
		step{"register", func() {
			u.showRegister()
			s := u.screen.(*registerScreen)
			s.phone.SetText("13912345678")
			s.name.SetText("王小明")
			s.id.SetText("220221199003074473")
		}},
		step{"register-step2", func() {
			s := u.screen.(*registerScreen)
			s.onNext()
			s.temp.SetText("36.4")
			s.remarks.SetText("无手机，家属陪同")
		}},
		step{"register-result", func() {
			if s, ok := u.screen.(*registerScreen); ok {
				s.onSubmit()
			}
		}},
		step{"sites", func() {
			u.showSites()
			if s, ok := u.screen.(*sitesScreen); ok && len(s.sites) > 1 {
				s.list.Select(1)
			}
		}},
		step{"site-add", func() {
			if s, ok := u.screen.(*sitesScreen); ok {
				s.showForm(s.sites[0], false)
			}
		}},
		step{"staff-add", func() {
			u.showSites()
			if s, ok := u.screen.(*sitesScreen); ok {
				s.showStaffForm("")
			}
		}},
		step{"log", func() { u.showLog() }},
		step{"log-detail", func() {
			if s, ok := u.screen.(*logScreen); ok && len(s.rows) > 0 {
				s.table.Select(widget.TableCellID{Row: 0, Col: 0})
			}
		}},
		step{"log-bad-date", func() {
			if s, ok := u.screen.(*logScreen); ok {
				s.onCloseDetail()
				s.from.SetText("2022-13-01")
				s.onDate(s.from.Text)
			}
		}},
		step{"sync", func() { u.showSync() }},
		step{"settings", func() { u.showSettings() }},
		step{"settings-camera", func() {
			if s, ok := u.screen.(*settingsScreen); ok {
				s.camera.Tapped(&fyne.PointEvent{}) // the camera choices, opened
			}
		}},
		step{"quarantine", func() {
			closeOverlays(u.win.Canvas())
			if u.deps.Quarantine != nil {
				u.showQuarantine()
			}
		}},
		step{"enroll", func() {
			if u.deps.Enroller != nil {
				u.showEnroll()
			}
		}},
	)
	for _, s := range steps {
		if err := shot(s.name, s.f); err != nil {
			return fmt.Errorf("ui: tour %s: %w", s.name, err)
		}
	}
	return nil
}

// closeOverlays removes any pop-up (an opened choice list) from c.
func closeOverlays(c fyne.Canvas) {
	for o := c.Overlays().Top(); o != nil; o = c.Overlays().Top() {
		c.Overlays().Remove(o)
	}
}

// grabDisplay saves what the X display shows of the window (top left, size sz), the way a
// person sees it. Fyne's own canvas capture is blank on some software-GL displays.
func grabDisplay(ctx context.Context, display, out string, sz fyne.Size) error {
	crop := fmt.Sprintf("%dx%d+0+0", int(sz.Width), int(sz.Height))
	cmd := exec.CommandContext(ctx, "sh", "-c", `xwd -root -silent -display "$1" | /usr/bin/convert xwd:- -crop "$2" +repage "$3"`,
		"sh", display, crop, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ui: grab display: %v: %s", err, b)
	}
	return nil
}
