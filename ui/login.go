package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/yongji-county/checkpoint/assets"
)

// loginScreen: phone + password (手机号 / 密码 → 登录), and the language switch.
type loginScreen struct {
	u        *UI
	phone    *widget.Entry
	password *widget.Entry
	submit   *widget.Button
	lang     *widget.RadioGroup
	enroll   *widget.Button // only on a kiosk not yet enrolled; nil otherwise
	msg      *widget.Label
}

func (u *UI) showLogin() {
	s := &loginScreen{u: u}
	s.phone = widget.NewEntry()
	s.phone.SetPlaceHolder(u.T("login.phone_hint"))
	s.password = widget.NewPasswordEntry()
	s.password.SetPlaceHolder(u.T("login.password_hint"))
	s.password.OnSubmitted = func(string) { s.onSubmit() }
	s.submit = widget.NewButton(u.T("login.submit"), s.onSubmit)
	s.submit.Importance = widget.HighImportance
	s.msg = errorLabel()
	s.lang = widget.NewRadioGroup([]string{"中文", "English"}, s.onLang)
	s.lang.Horizontal = true
	if u.tr.Lang() == LangEN {
		s.lang.SetSelected("English")
	} else {
		s.lang.SetSelected("中文")
	}

	logo := canvas.NewImageFromResource(assets.Icon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(96, 96))
	title := widget.NewLabelWithStyle(u.T("login.title"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	slogan := widget.NewLabelWithStyle(u.T("app.slogan"), fyne.TextAlignCenter, fyne.TextStyle{})
	form := widget.NewForm(
		widget.NewFormItem(u.T("login.phone"), s.phone),
		widget.NewFormItem(u.T("login.password"), s.password),
	)
	card := container.NewVBox(logo, title, slogan, form, s.submit, s.msg, container.NewCenter(s.lang))
	if u.canEnroll() {
		s.enroll = widget.NewButton(u.T("enroll.title"), u.showEnroll)
		card.Add(s.enroll)
	}
	if u.deps.DemoHint != "" {
		hint := widget.NewLabelWithStyle(u.T("login.demo")+" "+u.deps.DemoHint, fyne.TextAlignCenter, fyne.TextStyle{})
		hint.Wrapping = fyne.TextWrapWord
		card.Add(hint)
	}
	u.screen = s
	u.setBody("login", container.NewCenter(container.NewGridWrap(fyne.NewSize(460, 520), card)))
	u.win.Canvas().Focus(s.phone)
}

func (s *loginScreen) onLang(v string) {
	l := LangZH
	if v == "English" {
		l = LangEN
	}
	if l == s.u.tr.Lang() {
		return
	}
	s.u.tr.SetLang(l)
	phone := s.phone.Text
	s.u.showLogin()
	if ls, ok := s.u.screen.(*loginScreen); ok {
		ls.phone.SetText(phone)
	}
}

func (s *loginScreen) onSubmit() {
	u := s.u
	u.touched()
	if s.phone.Text == "" || s.password.Text == "" {
		s.msg.SetText(u.T("login.missing"))
		return
	}
	sess, err := u.deps.Auth.Login(u.ctx(), s.phone.Text, s.password.Text)
	s.password.SetText("")
	if err != nil {
		s.msg.SetText(u.errText(err))
		return
	}
	u.sess = &sess
	u.showHome()
}

// homeScreen is the start page: big buttons for 扫一扫, 辅助登记, 站点管理 (supervisors), the log
// and the sync state.
type homeScreen struct {
	u        *UI
	scan     *widget.Button
	register *widget.Button
	sites    *widget.Button
	log      *widget.Button
	sync     *widget.Button
	settings *widget.Button // supervisors only; nil otherwise
	logout   *widget.Button
}

func (u *UI) showHome() {
	if u.sess == nil {
		u.showLogin()
		return
	}
	s := &homeScreen{u: u}
	big := func(label string, icon fyne.Resource, imp widget.Importance, f func()) *widget.Button {
		b := widget.NewButtonWithIcon(label, icon, func() { u.touched(); f() })
		b.Importance = imp
		return b
	}
	s.scan = big(u.T("home.scan"), theme.SearchIcon(), widget.HighImportance, u.showScan)
	s.register = big(u.T("home.register"), theme.AccountIcon(), widget.MediumImportance, u.showRegister)
	s.sites = big(u.T("home.sites"), theme.HomeIcon(), widget.MediumImportance, u.showSites)
	s.log = big(u.T("home.log"), theme.ListIcon(), widget.MediumImportance, u.showLog)
	s.sync = big(u.T("home.sync"), theme.ViewRefreshIcon(), widget.MediumImportance, u.showSync)
	s.logout = widget.NewButtonWithIcon(u.T("home.logout"), theme.LogoutIcon(), u.logout)
	if !u.sess.Supervisor {
		s.sites.Disable()
	}
	tile := func(b *widget.Button) fyne.CanvasObject {
		return container.NewGridWrap(fyne.NewSize(300, 110), b)
	}
	grid := container.NewGridWithColumns(3,
		tile(s.scan), tile(s.register), tile(s.sites), tile(s.log), tile(s.sync))
	if u.sess.Supervisor && u.deps.Settings != nil {
		s.settings = big(u.T("home.settings"), theme.SettingsIcon(), widget.MediumImportance, u.showSettings)
		grid.Add(tile(s.settings))
	}
	grid.Add(tile(s.logout))
	hint := widget.NewLabelWithStyle(u.T("home.hint"), fyne.TextAlignCenter, fyne.TextStyle{})
	u.screen = s
	u.setBody("home", container.NewVBox(layout.NewSpacer(), container.NewCenter(grid), hint, layout.NewSpacer()))
}
