package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// settingsScreen (设置) is the supervisor's: the enrolled HQ and HQ's rules to read, and the
// kiosk's own language, full-screen and sound to set.
type settingsScreen struct {
	u          *UI
	hq         *widget.Label
	lang       *widget.RadioGroup
	fullscreen *widget.Check
	sound      *widget.Check
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
	form := widget.NewForm(
		widget.NewFormItem(u.T("settings.hq"), s.hq),
		widget.NewFormItem(u.T("settings.lang"), s.lang),
		widget.NewFormItem(u.T("settings.fullscreen"), s.fullscreen),
		widget.NewFormItem(u.T("settings.sound"), s.sound),
		widget.NewFormItem(u.T("settings.fever"), s.fever),
		widget.NewFormItem(u.T("settings.plausible"), s.plausible),
		widget.NewFormItem(u.T("settings.county"), s.county),
	)
	title := widget.NewLabelWithStyle(u.T("home.settings"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	note := widget.NewLabel(u.T("settings.rules_note"))
	note.Wrapping = fyne.TextWrapWord
	u.screen = s
	u.setBody("settings", container.NewCenter(container.NewGridWrap(fyne.NewSize(640, 520),
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
	s.u.tr.SetLang(l)
	s.u.showSettings()
}

func (s *settingsScreen) onFullScreen(on bool) {
	s.u.touched()
	s.u.win.SetFullScreen(on)
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
