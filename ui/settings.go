package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// settingsScreen (设置) is the supervisor's: the enrolled HQ and HQ's rules to read, and the
// kiosk's own language, full screen and sound (applied at once) and camera and resolution
// (applied at the next start) to set, all kept on the kiosk.
type settingsScreen struct {
	u          *UI
	hq         *widget.Label
	lang       *widget.RadioGroup
	fullscreen *widget.Check
	sound      *widget.Check
	camera     *widget.Select
	resolution *widget.Select
	cameraVals []string // the PrefCamera value of each camera option, in order
	fever      *widget.Label
	plausible  *widget.Label
	county     *widget.Label
	msg        *widget.Label
}

func (u *UI) showSettings() {
	if u.sess == nil || !u.sess.Supervisor || u.deps.Settings == nil {
		u.showHome()
		return
	}
	s := &settingsScreen{u: u, msg: errorLabel()}
	v, err := u.deps.Settings.Settings(u.ctx(), *u.sess)
	if err != nil {
		s.msg.SetText(u.errText(err))
	}
	hq := v.HQURL
	if !v.Enrolled {
		hq = u.T("sync.not_enrolled")
	}
	s.hq = widget.NewLabel(hq)
	s.lang = widget.NewRadioGroup([]string{"中文", "English"}, s.onLang)
	s.lang.Horizontal = true
	if u.tr.Lang() == LangEN {
		s.lang.Selected = "English"
	} else {
		s.lang.Selected = "中文"
	}
	s.fullscreen = widget.NewCheck(u.T("settings.fullscreen_on"), s.onFullScreen)
	s.fullscreen.Checked = u.win.FullScreen()
	s.sound = widget.NewCheck(u.T("settings.sound_on"), s.onSound)
	s.sound.Checked = v.Sound
	s.buildCamera()
	by := u.T("settings.by_hq")
	if !v.FromHQ {
		by = u.T("settings.defaults")
	}
	s.fever = widget.NewLabel(u.T("settings.fever_value", v.Rules.FeverC.String(), by))
	s.plausible = widget.NewLabel(u.T("settings.plausible_value", v.Rules.MinPlausibleC.String(), v.Rules.MaxPlausibleC.String()))
	county := ""
	if v.Rules.LocalCounty != "" {
		county = u.regionName(v.Rules.LocalCounty)
	}
	s.county = widget.NewLabel(county)
	restart := widget.NewLabelWithStyle(u.T("settings.next_start"), fyne.TextAlignLeading, fyne.TextStyle{})
	restart.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem(u.T("settings.hq"), s.hq),
		widget.NewFormItem(u.T("settings.lang"), s.lang),
		widget.NewFormItem(u.T("settings.fullscreen"), s.fullscreen),
		widget.NewFormItem(u.T("settings.sound"), s.sound),
		widget.NewFormItem(u.T("settings.camera"), s.camera),
		widget.NewFormItem(u.T("settings.resolution"), container.NewVBox(s.resolution, restart)),
		widget.NewFormItem(u.T("settings.fever"), s.fever),
		widget.NewFormItem(u.T("settings.plausible"), s.plausible),
		widget.NewFormItem(u.T("settings.county"), s.county),
	)
	title := widget.NewLabelWithStyle(u.T("home.settings"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	note := widget.NewLabel(u.T("settings.rules_note"))
	note.Wrapping = fyne.TextWrapWord
	u.screen = s
	u.setBody("settings", container.NewCenter(container.NewGridWrap(fyne.NewSize(700, 620),
		container.NewVBox(title, form, note, s.msg))))
}

// onLang switches the kiosk's language and shows this screen again in it.
func (s *settingsScreen) onLang(v string) {
	l := LangZH
	if v == "English" {
		l = LangEN
	}
	s.u.touched()
	if l == s.u.tr.Lang() {
		return
	}
	if err := s.u.setPref(PrefLang, l); err != nil {
		s.msg.SetText(s.u.errText(err))
		return
	}
	s.u.tr.SetLang(l)
	s.u.showSettings()
}

func (s *settingsScreen) onFullScreen(on bool) {
	u := s.u
	u.touched()
	v := "off"
	if on {
		v = "on"
	}
	if err := u.setPref(PrefFullScreen, v); err != nil {
		s.msg.SetText(u.errText(err))
	}
	u.win.SetFullScreen(on)
}

// buildCamera makes the camera and resolution choices: 自动, each attached camera, the demo
// video and none; the kept values selected.
func (s *settingsScreen) buildCamera() {
	u := s.u
	labels := []string{u.T("settings.camera_auto")}
	s.cameraVals = []string{CameraAuto}
	if u.deps.Cameras != nil {
		for _, c := range u.deps.Cameras(u.ctx()) {
			labels = append(labels, c.label())
			s.cameraVals = append(s.cameraVals, c.Path)
		}
	}
	labels = append(labels, u.T("settings.camera_demo"), u.T("settings.camera_none"))
	s.cameraVals = append(s.cameraVals, CameraDemo, CameraNone)
	kept := u.pref(PrefCamera)
	if kept == "" {
		kept = CameraAuto
	}
	if !slices.Contains(s.cameraVals, kept) { // a kept camera not attached now
		labels = append(labels[:len(labels)-2], kept, labels[len(labels)-2], labels[len(labels)-1])
		s.cameraVals = append(s.cameraVals[:len(s.cameraVals)-2], kept, CameraDemo, CameraNone)
	}
	s.camera = widget.NewSelect(labels, nil)
	s.camera.SetSelectedIndex(slices.Index(s.cameraVals, kept))
	s.camera.OnChanged = func(string) { s.onCamera() }

	var res []string
	for _, r := range Resolutions {
		res = append(res, resolutionLabel(r))
	}
	s.resolution = widget.NewSelect(res, nil)
	keptRes := u.pref(PrefResolution)
	if i := slices.Index(Resolutions, keptRes); i >= 0 {
		s.resolution.SetSelectedIndex(i)
	} else {
		s.resolution.SetSelectedIndex(0)
	}
	s.resolution.OnChanged = func(string) { s.onResolution() }
}

func (s *settingsScreen) onCamera() {
	u := s.u
	u.touched()
	i := s.camera.SelectedIndex()
	if i < 0 || i >= len(s.cameraVals) {
		return
	}
	if err := u.setPref(PrefCamera, s.cameraVals[i]); err != nil {
		s.msg.SetText(u.errText(err))
		return
	}
	s.msg.SetText("")
}

func (s *settingsScreen) onResolution() {
	u := s.u
	u.touched()
	i := s.resolution.SelectedIndex()
	if i < 0 || i >= len(Resolutions) {
		return
	}
	if err := u.setPref(PrefResolution, Resolutions[i]); err != nil {
		s.msg.SetText(u.errText(err))
		return
	}
	s.msg.SetText("")
}

func (s *settingsScreen) onSound(on bool) {
	u := s.u
	u.touched()
	if err := u.deps.Settings.SetSound(u.ctx(), *u.sess, on); err != nil {
		s.msg.SetText(u.errText(err))
		s.sound.Checked = !on
		s.sound.Refresh()
		return
	}
	u.SetSoundEnabled(on)
	s.msg.SetText("")
}
