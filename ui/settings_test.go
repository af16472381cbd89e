package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/station"
)

// settingsFake keeps the sound setting the way the kiosk store would.
type settingsFake struct{ sound []bool }

func (f *settingsFake) Settings(context.Context, station.Session) (station.SettingsView, error) {
	on := len(f.sound) == 0 || f.sound[len(f.sound)-1]
	return station.SettingsView{Enrolled: true, HQURL: "https://hq.example:8443", Rules: checkpoint.DefaultConfig(), FromHQ: true, Sound: on}, nil
}
func (f *settingsFake) SetSound(_ context.Context, _ station.Session, on bool) error {
	f.sound = append(f.sound, on)
	return nil
}

func newSettingsUI(t *testing.T, phone string) (*UI, *settingsFake) {
	t.Helper()
	u, _ := newTestUI(t)
	sf := &settingsFake{}
	u.deps.Settings = sf
	login(t, u, phone)
	return u, sf
}

func TestSettingsForSupervisor(t *testing.T) {
	u, sf := newSettingsUI(t, "13800000001")
	player := &fakeSound{}
	u.deps.Sound = player
	home := u.screen.(*homeScreen)
	if home.settings == nil {
		t.Fatal("the supervisor's home has no 设置")
	}
	test.Tap(home.settings)
	s, ok := u.screen.(*settingsScreen)
	if !ok || u.Current() != "settings" {
		t.Fatalf("设置 opened %q", u.Current())
	}
	if s.hq.Text != "https://hq.example:8443" || !strings.Contains(s.fever.Text, "37.3") ||
		!strings.Contains(s.fever.Text, "由总部下发") || !strings.Contains(s.county.Text, "永吉县") {
		t.Errorf("hq %q, fever %q, county %q; want the enrolled HQ and HQ's rules", s.hq.Text, s.fever.Text, s.county.Text)
	}
	if !s.sound.Checked {
		t.Error("sound starts off; want on")
	}
	test.Tap(s.sound)
	if len(sf.sound) != 1 || sf.sound[0] {
		t.Errorf("SetSound calls %v; want one, off", sf.sound)
	}
	if !player.off {
		t.Error("the sound switch kept the player on; want verdicts silent at once")
	}
	test.Tap(s.fullscreen)
	if !u.win.FullScreen() {
		t.Error("the full-screen toggle left the window windowed")
	}
	test.Tap(s.fullscreen)
	if u.win.FullScreen() {
		t.Error("the full-screen toggle did not leave full screen")
	}
	s.lang.SetSelected("English")
	s = u.screen.(*settingsScreen)
	if u.tr.Lang() != LangEN || !strings.Contains(s.fever.Text, "set by HQ") || s.sound.Checked {
		t.Errorf("after English: lang %s, fever %q, sound %v; want English, the kept sound off", u.tr.Lang(), s.fever.Text, s.sound.Checked)
	}
}

func TestSettingsHiddenFromScanner(t *testing.T) {
	u, _ := newSettingsUI(t, "13800000002")
	if u.screen.(*homeScreen).settings != nil {
		t.Error("a scanner's home offers 设置")
	}
	u.showSettings()
	if u.Current() != "home" {
		t.Errorf("a scanner reached %q; want home", u.Current())
	}
}
