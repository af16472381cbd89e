package ui

import (
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/yongji-county/checkpoint/scanner"
)

// stepClock advances 5 ms at every reading: keys of a handheld scanner's burst.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(5 * time.Millisecond)
	return c.t
}

// A handheld scanner works right after login, without a click: the keys of its burst go
// through the window's own key handlers and the real burst detector. Before, the password entry
// kept the focus after the login screen was gone and swallowed the scan.
func TestWedgeRightAfterLogin(t *testing.T) {
	u, _ := newTestUI(t)
	clock := &stepClock{t: time.Now()}
	u.deps.Wedge, u.deps.Now = scanner.NewWedge(scanner.WedgeConfig{}), clock.Now
	s := u.screen.(*loginScreen)
	test.Type(s.phone, "13800000002")
	test.Type(s.password, "right-password") // the password entry now has the focus
	s.password.OnSubmitted(s.password.Text) // Enter in the password entry logs in
	if u.Current() != "home" {
		t.Fatalf("after login the screen is %q", u.Current())
	}
	c := u.win.Canvas()
	test.TypeOnCanvas(c, "JXM:WEDGE-SCAN-1")
	if f := c.Focused(); f != nil {
		f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	} else {
		c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	}
	p, ok := u.screen.(*personScreen)
	if !ok || p.view.Text != "JXM:WEDGE-SCAN-1" {
		t.Fatalf("a scan right after login left the screen on %q; want 人员信息 for the scanned code", u.Current())
	}
}

// The code's colour is shown in its colour, behind its symbol and word.
func TestCodeShownInItsColour(t *testing.T) {
	u, _ := newTestUI(t)
	for status, want := range codeColours {
		chip, rect := u.codeChip(status, "")
		if rect == nil || rect.FillColor != want {
			t.Errorf("%s code: chip colour %v; want %v", status, rect, want)
		}
		if chip == nil {
			t.Errorf("%s code: no chip", status)
		}
	}
	if _, rect := u.codeChip("purple", ""); rect != nil {
		t.Error("an unknown status got a colour")
	}
	login(t, u, "13800000002")
	u.showPerson("JXM:GREEN")
	if p := u.screen.(*personScreen); p.codeChip == nil || p.codeChip.FillColor != codeColours["green"] {
		t.Errorf("person screen for a green code: chip %v; want green", p.codeChip)
	}
}

// The temperature keypad types into the temperature entry: digits, a quick reading, backspace.
func TestTemperatureKeypad(t *testing.T) {
	u, _ := newTestUI(t)
	login(t, u, "13800000002")
	u.showPerson("JXM:GREEN")
	p := u.screen.(*personScreen)
	for _, k := range []string{"3", "7", ".", "4", "⌫", "2"} {
		test.Tap(p.keypad.keys[k])
	}
	if p.temp.Text != "37.2" {
		t.Errorf("after 3 7 . 4 ⌫ 2 the entry reads %q; want 37.2", p.temp.Text)
	}
	test.Tap(p.keypad.keys["36.5"])
	if p.temp.Text != "36.5" {
		t.Errorf("quick 36.5 gives %q", p.temp.Text)
	}
	for range 4 {
		test.Tap(p.keypad.keys["9"])
	}
	if p.temp.Text != "36.59" {
		t.Errorf("the entry took more than 5 characters: %q", p.temp.Text)
	}
	test.Tap(p.keypad.keys[u.T("keypad.clear")])
	if p.temp.Text != "" {
		t.Errorf("clear left %q", p.temp.Text)
	}
	if sz := p.keypad.keys["5"].Size(); sz.Width < 80 || sz.Height < 56 {
		t.Errorf("a key is %v; want at least 80×56 for gloved fingers", sz)
	}
}
