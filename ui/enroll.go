package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/yongji-county/checkpoint/station"
)

// enrollTimeout bounds one enrollment attempt; HQ unreached is then said in words.
const enrollTimeout = 30 * time.Second

// enrollScreen (登记设备) is the first run of a kiosk not yet enrolled: HQ's address and the
// one-time code from HQ. When records are pending that the kiosk cannot prove it made, it asks
// before enrolling anyway.
type enrollScreen struct {
	u      *UI
	hq     *widget.Entry
	code   *widget.Entry
	submit *widget.Button
	force  *widget.Button // shown only after HQ's refusal for unproven pending records
	back   *widget.Button
	msg    *widget.Label
}

// canEnroll says whether the login screen offers 登记设备: a kiosk not enrolled, not in demo mode.
func (u *UI) canEnroll() bool {
	return u.deps.Enroller != nil && u.deps.DemoHint == "" && !u.deps.Syncer.SyncView(u.ctx()).Enrolled
}

func (u *UI) showEnroll() {
	s := &enrollScreen{u: u, msg: errorLabel()}
	s.hq = widget.NewEntry()
	s.hq.SetPlaceHolder(u.T("enroll.hq_hint"))
	s.code = widget.NewEntry()
	s.code.SetPlaceHolder(u.T("enroll.code_hint"))
	s.code.OnSubmitted = func(string) { s.onSubmit() }
	s.submit = widget.NewButton(u.T("enroll.submit"), s.onSubmit)
	s.submit.Importance = widget.HighImportance
	s.force = widget.NewButton(u.T("enroll.force"), s.onForce)
	s.force.Importance = widget.DangerImportance
	s.force.Hide()
	s.back = widget.NewButton(u.T("enroll.back"), u.showLogin)
	title := widget.NewLabelWithStyle(u.T("enroll.title"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	hint := widget.NewLabel(u.T("enroll.hint"))
	hint.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem(u.T("enroll.hq"), s.hq),
		widget.NewFormItem(u.T("enroll.code"), s.code),
	)
	card := container.NewVBox(title, hint, form, s.submit, s.msg, s.force, s.back)
	u.screen = s
	u.setBody("enroll", container.NewCenter(container.NewGridWrap(fyne.NewSize(560, 480), card)))
	u.win.Canvas().Focus(s.hq)
}

func (s *enrollScreen) onSubmit() { s.enroll(false) }

// onForce is the explicit confirmation: enroll although pending records cannot be proven ours.
func (s *enrollScreen) onForce() { s.enroll(true) }

func (s *enrollScreen) enroll(force bool) {
	u := s.u
	u.touched()
	ctx, cancel := context.WithTimeout(u.ctx(), enrollTimeout)
	defer cancel()
	err := u.deps.Enroller.Enroll(ctx, s.hq.Text, s.code.Text, force)
	if err != nil {
		s.msg.SetText(u.errText(err))
		if p, ok := station.AsProblem(err); ok && p.Code == station.CodeUnprovenPending {
			s.force.Show()
		} else {
			s.force.Hide()
		}
		return
	}
	u.showLogin()
	if ls, ok := u.screen.(*loginScreen); ok {
		ls.msg.Importance = widget.SuccessImportance
		ls.msg.SetText(u.T("enroll.done"))
	}
}
