package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/yongji-county/checkpoint/station"
)

// registerScreen (辅助登记) for people without a code: step 1 手机号 + 获取验证码 + 验证码, 姓名,
// 身份证号 → 下一步; step 2 人员信息: 体温测量结果, 备注 → 提交.
type registerScreen struct {
	u       *UI
	phone   *widget.Entry
	getCode *widget.Button
	smsCode *widget.Entry
	name    *widget.Entry
	id      *widget.Entry
	next    *widget.Button
	temp    *widget.Entry
	remarks *widget.Entry
	submit  *widget.Button
	msg     *widget.Label
	step    int
}

func (u *UI) showRegister() {
	s := &registerScreen{u: u, step: 1}
	s.phone = widget.NewEntry()
	s.phone.SetPlaceHolder(u.T("reg.phone_hint"))
	s.getCode = widget.NewButton(u.T("reg.get_code"), s.onGetCode)
	s.smsCode = widget.NewEntry()
	s.smsCode.SetPlaceHolder(u.T("reg.sms_hint"))
	s.name = widget.NewEntry()
	s.id = widget.NewEntry()
	s.id.SetPlaceHolder(u.T("reg.id_hint"))
	s.next = widget.NewButton(u.T("reg.next"), s.onNext)
	s.next.Importance = widget.HighImportance
	s.temp = widget.NewEntry()
	s.temp.SetPlaceHolder(u.T("person.temp_hint"))
	s.remarks = widget.NewMultiLineEntry()
	s.remarks.SetPlaceHolder(u.T("reg.remarks_hint"))
	s.submit = widget.NewButton(u.T("reg.submit"), s.onSubmit)
	s.submit.Importance = widget.HighImportance
	s.msg = errorLabel()
	u.screen = s
	s.render()
}

func (s *registerScreen) render() {
	u := s.u
	title := widget.NewLabelWithStyle(u.T("reg.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	var form *widget.Form
	var buttons fyne.CanvasObject
	if s.step == 1 {
		form = widget.NewForm(
			widget.NewFormItem(u.T("reg.phone")+" *", container.NewBorder(nil, nil, nil, s.getCode, s.phone)),
			widget.NewFormItem(u.T("reg.sms"), s.smsCode),
			widget.NewFormItem(u.T("reg.name")+" *", s.name),
			widget.NewFormItem(u.T("reg.id")+" *", s.id),
		)
		buttons = container.NewGridWithColumns(2, widget.NewButton(u.T("nav.back"), u.showHome), s.next)
	} else {
		summary := widget.NewForm(
			widget.NewFormItem(u.T("person.name"), widget.NewLabel(s.name.Text)),
			widget.NewFormItem(u.T("reg.phone"), widget.NewLabel(s.phone.Text)),
		)
		form = widget.NewForm(
			widget.NewFormItem(u.T("person.temp")+" *", s.temp),
			widget.NewFormItem(u.T("reg.remarks"), s.remarks),
		)
		title = widget.NewLabelWithStyle(u.T("person.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		back := widget.NewButton(u.T("reg.prev"), func() { s.step = 1; s.render() })
		buttons = container.NewVBox(summary, container.NewGridWithColumns(2, back, s.submit))
	}
	box := container.NewVBox(title, form, s.msg, buttons)
	u.setBody("register", container.NewCenter(container.NewGridWrap(fyne.NewSize(720, 560), box)))
}

func (s *registerScreen) input() station.Registration {
	return station.Registration{Phone: s.phone.Text, SMSCode: s.smsCode.Text, Name: s.name.Text,
		ID: s.id.Text, Temp: s.temp.Text, Remarks: s.remarks.Text}
}

func (s *registerScreen) onGetCode() {
	u := s.u
	u.touched()
	if err := u.deps.Registrar.SendSMS(u.ctx(), s.phone.Text); err != nil {
		s.msg.SetText(u.errText(err))
		return
	}
	s.msg.SetText("")
	s.getCode.Disable()
	s.getCode.SetText(u.T("reg.code_sent"))
	go func() {
		time.Sleep(60 * time.Second)
		fyne.Do(func() { s.getCode.Enable(); s.getCode.SetText(u.T("reg.get_code")) })
	}()
}

func (s *registerScreen) onNext() {
	s.u.touched()
	if err := s.u.deps.Registrar.CheckRegistration(s.input()); err != nil {
		s.msg.SetText(s.u.errText(err))
		return
	}
	s.msg.SetText("")
	s.step = 2
	s.render()
	s.u.win.Canvas().Focus(s.temp)
}

func (s *registerScreen) onSubmit() {
	u := s.u
	u.touched()
	d, err := u.deps.Registrar.Register(u.ctx(), *u.sess, s.input())
	if err != nil {
		s.msg.SetText(u.errText(err))
		return
	}
	u.playVerdict(d.Verdict)
	sym, word, _ := u.verdictLook(d.Verdict)
	msg := d.MessageZH
	if u.tr.Lang() == LangEN {
		msg = d.MessageEN
	}
	done := widget.NewLabelWithStyle(u.T("reg.done")+"  "+sym+" "+word, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	detail := widget.NewLabel(msg)
	detail.Wrapping = fyne.TextWrapWord
	again := widget.NewButton(u.T("reg.again"), u.showRegister)
	again.Importance = widget.HighImportance
	u.setBody("register_done", container.NewCenter(container.NewGridWrap(fyne.NewSize(640, 300),
		container.NewVBox(done, detail, container.NewGridWithColumns(2, widget.NewButton(u.T("nav.home"), u.showHome), again)))))
	u.header.refresh()
}
