package ui

import (
	"image"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/yongji-county/checkpoint/station"
)

// errText is what staff read for err: the station's words in the current language, or a
// generic sentence (never a raw error string).
func (u *UI) errText(err error) string {
	if p, ok := station.AsProblem(err); ok {
		if u.tr.Lang() == LangEN {
			return p.EN
		}
		return p.ZH
	}
	return u.T("error.generic")
}

// scanScreen (扫一扫): the camera preview, and an entry that takes a USB/keyboard-wedge scanner's
// input or a code typed by hand.
type scanScreen struct {
	u       *UI
	preview *canvas.Image
	status  *widget.Label
	manual  *widget.Entry
	submit  *widget.Button
}

func (u *UI) showScan() {
	s := &scanScreen{u: u}
	s.preview = canvas.NewImageFromImage(image.NewGray(image.Rect(0, 0, 640, 480)))
	s.preview.FillMode = canvas.ImageFillContain
	s.preview.SetMinSize(fyne.NewSize(640, 420))
	s.status = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	if u.deps.Camera == nil {
		s.status.SetText(u.T("scan.no_camera"))
		s.status.Importance = widget.WarningImportance
	} else {
		s.status.SetText(u.T("scan.aim"))
	}
	s.manual = widget.NewEntry()
	s.manual.SetPlaceHolder(u.T("scan.manual_hint"))
	s.manual.OnSubmitted = func(string) { s.onSubmit() }
	s.submit = widget.NewButton(u.T("scan.manual_submit"), s.onSubmit)
	back := widget.NewButton(u.T("nav.back"), u.showHome)
	bottom := container.NewBorder(nil, nil, nil, container.NewHBox(s.submit, back), s.manual)
	var center fyne.CanvasObject = s.preview
	if u.deps.Camera == nil {
		// No black box where the camera would be: say what works instead.
		icon := widget.NewIcon(theme.SearchIcon())
		hint := widget.NewLabelWithStyle(u.T("scan.wedge_hint"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		center = container.NewCenter(container.NewVBox(container.NewGridWrap(fyne.NewSize(96, 96), icon), hint))
	}
	u.screen = s
	u.setBody("scan", container.NewBorder(s.status, bottom, nil, nil, center))
	u.win.Canvas().Focus(s.manual)
}

func (s *scanScreen) setFrame(img image.Image) {
	s.preview.Image = img
	s.preview.Refresh()
}

func (s *scanScreen) onSubmit() {
	text := strings.TrimSpace(s.manual.Text)
	s.manual.SetText("")
	if text == "" {
		return
	}
	s.u.touched()
	s.u.showPerson(text)
}
