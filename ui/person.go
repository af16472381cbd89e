package ui

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/yongji-county/checkpoint/station"
)

// verdictBanner shows a decision as a coloured band with a symbol and words, never colour alone.
type verdictBanner struct {
	bg     *canvas.Rectangle
	icon   *widget.Icon
	symbol *canvas.Text
	word   *canvas.Text
	msg    *widget.Label
	box    *fyne.Container
	// verdict is the outcome code shown (pass, turn_back, refer, invalid).
	verdict string
}

func newVerdictBanner() *verdictBanner {
	b := &verdictBanner{
		bg:     canvas.NewRectangle(colorGrey),
		icon:   widget.NewIcon(nil),
		symbol: canvas.NewText("", color.White),
		word:   canvas.NewText("", color.White),
		msg:    widget.NewLabel(""),
	}
	b.bg.CornerRadius = 8
	b.symbol.TextSize = 44
	b.symbol.TextStyle.Bold = true
	b.word.TextSize = 40
	b.word.TextStyle.Bold = true
	b.msg.Wrapping = fyne.TextWrapWord
	b.msg.TextStyle.Bold = true
	icon := container.NewGridWrap(fyne.NewSize(56, 56), b.icon)
	line := container.NewHBox(icon, b.word)
	b.box = container.NewStack(b.bg, container.NewPadded(container.NewVBox(line)))
	return b
}

// verdictIcon is the banner's icon for a verdict, drawn white on the verdict colour.
func verdictIcon(v string) fyne.Resource {
	var r fyne.Resource
	switch v {
	case "pass":
		r = theme.ConfirmIcon()
	case "turn_back":
		r = theme.CancelIcon()
	case "refer":
		r = theme.WarningIcon()
	default:
		r = theme.ErrorIcon()
	}
	return theme.NewColoredResource(r, theme.ColorNameBackground)
}

func (u *UI) verdictLook(v string) (string, string, color.Color) {
	switch v {
	case "pass":
		return "✔", u.T("verdict.pass"), colorPass
	case "turn_back":
		return "✖", u.T("verdict.turn_back"), colorBack
	case "refer":
		return "⚠", u.T("verdict.refer"), colorRefer
	default:
		return "✖", u.T("verdict.invalid"), colorGrey
	}
}

func (b *verdictBanner) set(u *UI, d station.Decision) {
	sym, word, c := u.verdictLook(d.Verdict)
	b.verdict = d.Verdict
	b.bg.FillColor = c
	b.icon.SetResource(verdictIcon(d.Verdict))
	b.symbol.Text = sym
	b.word.Text = word
	if u.tr.Lang() == LangEN {
		b.msg.SetText(d.MessageEN)
	} else {
		b.msg.SetText(d.MessageZH)
	}
	b.bg.Refresh()
	b.symbol.Refresh()
	b.word.Refresh()
}

// personScreen (人员信息): who the code belongs to, the verdict, the temperature (体温测量结果), the
// local-stay exception for people from high-risk areas, and 确认.
type personScreen struct {
	u         *UI
	view      station.ScanView
	banner    *verdictBanner
	temp      *widget.Entry
	localStay *widget.Check
	household *widget.Label // 户籍地 by name
	exception *widget.Label // the high-risk note, with the listed area by name
	confirm   *widget.Button
	cancel    *widget.Button
	msg       *widget.Label
	codeChip  *canvas.Rectangle // the code's colour behind its symbol and word; nil for a bad code
	keypad    *keypad
	sounded   string // the verdict last sounded: the one shown on arrival, then the confirmed one
}

// Code colours as shown on a person's phone: the chip behind 绿码 / 黄码 / 红码.
var codeColours = map[string]color.NRGBA{
	"green":  {R: 0x1e, G: 0x8c, B: 0x4e, A: 0xff},
	"yellow": {R: 0xf2, G: 0xc0, B: 0x1d, A: 0xff},
	"red":    {R: 0xd0, G: 0x34, B: 0x2c, A: 0xff},
}

// codeChip shows the code's colour as a band behind its symbol and words (never colour alone);
// the text is white on green and red, black on yellow.
func (u *UI) codeChip(status, reason string) (fyne.CanvasObject, *canvas.Rectangle) {
	words := u.statusWords(status, reason)
	bg, ok := codeColours[status]
	if !ok {
		return widget.NewLabel(words), nil
	}
	fg := color.Color(color.White)
	if status == "yellow" {
		fg = color.Black
	}
	rect := canvas.NewRectangle(bg)
	rect.CornerRadius = 4
	t := canvas.NewText(words, fg)
	t.TextStyle = fyne.TextStyle{Bold: true}
	return container.NewHBox(container.NewStack(rect, container.NewPadded(t))), rect
}

func (u *UI) showPerson(text string) {
	view := u.deps.Checker.Scan(u.ctx(), *u.sess, text)
	s := &personScreen{u: u, view: view}
	s.banner = newVerdictBanner()
	s.msg = errorLabel()
	s.temp = widget.NewEntry()
	s.temp.SetPlaceHolder(u.T("person.temp_hint"))
	s.temp.OnChanged = func(string) { s.update() }
	s.temp.OnSubmitted = func(text string) {
		// A handheld scanner types into the focused temperature entry: the next person's code.
		if looksLikeCode(text) {
			u.showPerson(strings.TrimSpace(text))
			return
		}
		s.onConfirm()
	}
	// The check's words wrap beside it: a check's own text does not, and a long one would
	// widen the window past the screen.
	s.localStay = widget.NewCheck("", func(bool) { s.update() })
	stayText := widget.NewLabel(u.T("person.local_stay"))
	stayText.Wrapping = fyne.TextWrapWord
	stay := container.NewBorder(nil, nil, s.localStay, nil, stayText)
	s.confirm = widget.NewButton(u.T("person.confirm"), s.onConfirm)
	s.confirm.Importance = widget.HighImportance
	s.cancel = widget.NewButton(u.T("person.cancel"), u.showScan)

	info := widget.NewForm()
	add := func(k, v string) *widget.Label {
		l := widget.NewLabel(v)
		l.Wrapping = fyne.TextWrapWord
		info.Append(u.T(k), l)
		return l
	}
	if view.Valid {
		add("person.name", view.Name)
		add("person.id", view.IDMasked)
		s.household = add("person.household", u.regionName(view.Household))
		chip, rect := u.codeChip(view.Status, view.StatusReason)
		s.codeChip = rect
		info.Append(u.T("person.code"), chip)
		add("person.expires", view.ExpiresAt.Local().Format("2006-01-02 15:04"))
		if view.Online {
			add("person.checked", u.T("person.online"))
		} else {
			add("person.checked", u.T("person.offline"))
		}
	} else {
		add("person.code", u.T("person.code_invalid"))
	}
	var notes []fyne.CanvasObject
	if !view.LastSeen.IsZero() {
		text := u.T("person.seen_just_now")
		if mins := int(u.deps.Now().Sub(view.LastSeen) / time.Minute); mins > 0 {
			text = u.T("person.seen_before", mins)
		}
		w := widget.NewLabel("⚠ " + text)
		w.Importance = widget.WarningImportance
		notes = append(notes, w)
	}
	if view.LiveChanged {
		w := widget.NewLabel("⚠ " + u.T("person.live_changed"))
		w.Importance = widget.WarningImportance
		notes = append(notes, w)
	}
	measure := widget.NewForm(widget.NewFormItem(u.T("person.temp"), s.temp))
	// In Chinese no space after ⚠: a sentence without spaces would wrap there, leaving ⚠
	// alone on the first line.
	warning := "⚠ " + u.T("person.high_risk")
	if u.tr.Lang() == LangZH {
		warning = "⚠" + u.T("person.high_risk")
	}
	if view.RiskArea != "" {
		warning += "\n" + u.T("person.risk_area", u.regionName(view.RiskArea))
	}
	exception := widget.NewLabel(warning)
	exception.Importance = widget.WarningImportance
	exception.Wrapping = fyne.TextWrapWord
	s.exception = exception
	if !view.HighRisk {
		s.localStay.Hide()
		stay.Hide()
		exception.Hide()
	}
	if !view.Valid {
		s.temp.Disable()
		s.confirm.SetText(u.T("person.record_invalid"))
	}
	title := widget.NewLabelWithStyle(u.T("person.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	left := container.NewVBox(title, info)
	left.Objects = append(left.Objects, notes...)
	s.keypad = u.newKeypad(s.temp)
	if !view.Valid {
		s.keypad.box.Hide()
	}
	left.Add(s.keypad.box)
	right := container.NewVBox(s.banner.box, s.banner.msg, measure, exception, stay, s.msg,
		container.NewGridWithColumns(2, s.cancel, s.confirm))
	u.screen = s
	u.setBody("person", container.NewPadded(container.NewGridWithColumns(2, left, right)))
	s.update()
	s.sounded = s.banner.verdict
	if view.Valid {
		u.playVerdictAskTemp(s.sounded) // the screen waits for a temperature: 请测体温
		u.win.Canvas().Focus(s.temp)
	} else {
		u.playVerdict(s.sounded)
	}
}

// looksLikeCode tells a scanned code from a temperature typed into the same entry.
func looksLikeCode(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) > 8 && strings.HasPrefix(strings.ToUpper(s), "JXM:")
}

func (u *UI) statusWords(status, reason string) string {
	var w string
	switch status {
	case "green":
		w = "● " + u.T("code.green")
	case "yellow":
		w = "▲ " + u.T("code.yellow")
	case "red":
		w = "■ " + u.T("code.red")
	default:
		w = status
	}
	if reason != "" {
		w += fmt.Sprintf("（%s）", reason)
	}
	return w
}

// update re-decides as staff type the temperature or tick the exception, so the banner always
// shows what 确认 will record.
func (s *personScreen) update() {
	d, err := s.u.deps.Checker.Decide(s.view, s.temp.Text, s.localStay.Checked)
	if err != nil && s.temp.Text != "" {
		s.msg.SetText(s.u.errText(err))
	} else {
		s.msg.SetText("")
	}
	s.banner.set(s.u, d)
}

func (s *personScreen) onConfirm() {
	u := s.u
	u.touched()
	d, err := u.deps.Checker.Confirm(u.ctx(), *u.sess, s.view, s.temp.Text, s.localStay.Checked)
	if err != nil {
		s.msg.SetText(u.errText(err))
		return
	}
	// A verdict changed by the temperature (fever: 复核) is sounded when confirmed, not at
	// every key typed.
	if d.Verdict != s.sounded {
		u.playVerdict(d.Verdict)
	}
	u.showScan()
	if sc, ok := u.screen.(*scanScreen); ok {
		sym, word, _ := u.verdictLook(d.Verdict)
		sc.status.SetText(u.T("scan.saved", sym+" "+word))
		sc.status.Importance = widget.SuccessImportance
		sc.status.Refresh()
	}
	u.header.refresh()
}
