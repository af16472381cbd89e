package ui

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/yongji-county/checkpoint/station"
	"github.com/yongji-county/checkpoint/store"
)

// TestSettingsKeptAcrossRestart changes every kiosk setting on 设置, then starts the UI again
// over the same kiosk store (a real SQLite file, the real station for the sound switch): the
// language and full screen are applied at start, and the screen shows every value kept.
func TestSettingsKeptAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cams := func(context.Context) []CameraOption {
		return []CameraOption{{Path: "/dev/video0", Name: "USB Camera"}, {Path: "/dev/video2"}}
	}
	start := func() *UI {
		u, _ := newTestUIWith(t, func(d *Deps) {
			d.Prefs = db
			d.Settings = station.New(station.Config{DB: db})
			d.Cameras = cams
			d.Sound = &fakeSound{}
		})
		return u
	}
	u := start()
	if u.tr.Lang() != LangZH || u.win.FullScreen() {
		t.Fatalf("a new kiosk starts in %s, full screen %v; want Chinese, windowed", u.tr.Lang(), u.win.FullScreen())
	}
	login(t, u, "13800000001")
	u.showSettings()
	s := u.screen.(*settingsScreen)
	if s.camera.Selected != u.T("settings.camera_auto") || s.resolution.Selected != "640×480" {
		t.Errorf("new kiosk: camera %q, resolution %q; want 自动, 640×480", s.camera.Selected, s.resolution.Selected)
	}
	if len(s.camera.Options) != 5 || s.camera.Options[1] != "/dev/video0 (USB Camera)" || s.camera.Options[2] != "/dev/video2" {
		t.Errorf("camera choices %q; want 自动, both cameras, 演示视频, none", s.camera.Options)
	}
	test.Tap(s.fullscreen)
	test.Tap(s.sound)
	s.camera.SetSelected("/dev/video2")
	s.resolution.SetSelected("1280×720")
	s.lang.SetSelected("English")
	if u.tr.Lang() != LangEN || !u.win.FullScreen() || u.SoundEnabled() {
		t.Errorf("applied at once: lang %s, full screen %v, sound %v; want English, full screen, silent", u.tr.Lang(), u.win.FullScreen(), u.SoundEnabled())
	}
	for k, want := range map[string]string{PrefLang: "en", PrefFullScreen: "on", PrefCamera: "/dev/video2", PrefResolution: "1280x720", "sound": "off"} {
		if v, _, _ := db.Pref(ctx, k); v != want {
			t.Errorf("pref %s = %q; want %q", k, v, want)
		}
	}

	u2 := start()
	if u2.tr.Lang() != LangEN || !u2.win.FullScreen() {
		t.Fatalf("after a restart: %s, full screen %v; want the kept English, full screen", u2.tr.Lang(), u2.win.FullScreen())
	}
	if b := u2.screen.(*loginScreen).submit.Text; b != "Log in" {
		t.Errorf("after a restart the login button reads %q; want the kept English", b)
	}
	login(t, u2, "13800000001")
	u2.showSettings()
	s = u2.screen.(*settingsScreen)
	if s.lang.Selected != "English" || !s.fullscreen.Checked || s.sound.Checked || s.camera.Selected != "/dev/video2" || s.resolution.Selected != "1280×720" {
		t.Errorf("after a restart: lang %q, full screen %v, sound %v, camera %q, resolution %q; want each value kept",
			s.lang.Selected, s.fullscreen.Checked, s.sound.Checked, s.camera.Selected, s.resolution.Selected)
	}
	s.camera.SetSelected(u2.T("settings.camera_demo"))
	test.Tap(s.fullscreen)
	if v, _, _ := db.Pref(ctx, PrefCamera); v != CameraDemo || u2.win.FullScreen() {
		t.Errorf("demo video chosen: pref %q, full screen %v; want demo, windowed", v, u2.win.FullScreen())
	}

	// A language given at start (--lang) wins over the kept one; the kept one stays.
	u3, _ := newTestUIWith(t, func(d *Deps) { d.Prefs = db; d.Lang = LangZH; off := false; d.FullScreen = &off })
	if u3.tr.Lang() != LangZH || u3.win.FullScreen() {
		t.Errorf("--lang zh: %s, full screen %v; want Chinese, windowed", u3.tr.Lang(), u3.win.FullScreen())
	}
	if v, _, _ := db.Pref(ctx, PrefLang); v != LangEN {
		t.Errorf("kept language %q after a start with --lang; want it left as en", v)
	}
}

// TestSettingsKeptCameraNotAttached: a kept camera unplugged since is still shown as chosen.
func TestSettingsKeptCameraNotAttached(t *testing.T) {
	db, err := store.OpenDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SetPref(context.Background(), PrefCamera, "/dev/video4"); err != nil {
		t.Fatal(err)
	}
	u, _ := newTestUIWith(t, func(d *Deps) { d.Prefs = db; d.Settings = &settingsFake{} })
	login(t, u, "13800000001")
	u.showSettings()
	s := u.screen.(*settingsScreen)
	if s.camera.Selected != "/dev/video4" || len(s.camera.Options) != 4 {
		t.Errorf("camera %q of %q; want the kept /dev/video4 among 自动, it, 演示视频, none", s.camera.Selected, s.camera.Options)
	}
}
