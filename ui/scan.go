package ui

import (
	"image"
	"image/color"
	_ "image/jpeg" // photos from phones
	_ "image/png"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
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
	aim     *canvas.Rectangle // the aiming frame drawn over the preview
	status  *widget.Label
	manual  *widget.Entry
	submit  *widget.Button
	open    *widget.Button // 打开图片; nil without an image decoder
}

// aimSize is the aiming frame on the preview: where a phone's code reads best.
var aimSize = fyne.NewSize(300, 300)

func (u *UI) showScan() {
	s := &scanScreen{u: u}
	s.preview = canvas.NewImageFromImage(image.NewGray(image.Rect(0, 0, 640, 480)))
	s.preview.FillMode = canvas.ImageFillContain
	s.preview.SetMinSize(fyne.NewSize(640, 420))
	s.status = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	if u.deps.Camera == nil {
		s.status.SetText(u.T("scan.no_camera"))
		s.status.Importance = widget.WarningImportance
	} else if u.deps.DemoCamera {
		s.status.SetText(u.T("scan.aim_demo"))
	} else {
		s.status.SetText(u.T("scan.aim"))
	}
	s.manual = widget.NewEntry()
	s.manual.SetPlaceHolder(u.T("scan.manual_hint"))
	s.manual.OnSubmitted = func(string) { s.onSubmit() }
	s.submit = widget.NewButton(u.T("scan.manual_submit"), s.onSubmit)
	back := widget.NewButton(u.T("nav.back"), u.showHome)
	buttons := container.NewHBox(s.submit)
	if u.deps.Images != nil {
		s.open = widget.NewButtonWithIcon(u.T("scan.open_image"), theme.FolderOpenIcon(), s.onOpen)
		buttons.Add(s.open)
	}
	buttons.Add(back)
	bottom := container.NewBorder(nil, nil, nil, buttons, s.manual)
	s.aim = canvas.NewRectangle(color.Transparent)
	s.aim.StrokeColor = color.NRGBA{R: 0x1e, G: 0xc8, B: 0x5a, A: 0xff}
	s.aim.StrokeWidth = 4
	s.aim.CornerRadius = 12
	s.aim.SetMinSize(aimSize)
	var center fyne.CanvasObject = container.NewStack(s.preview, container.NewCenter(s.aim))
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

// onOpen offers an image file (a photo or screenshot of a code) when the camera cannot help.
func (s *scanScreen) onOpen() {
	s.u.touched()
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		defer r.Close()
		s.openImage(r)
	}, s.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg"}))
	d.Show()
}

// openImage decodes an image and shows the person for the code in it, or says there is none.
func (s *scanScreen) openImage(r io.Reader) {
	img, _, err := image.Decode(r)
	if err != nil {
		s.status.SetText(s.u.T("scan.image_unreadable"))
		s.status.Importance = widget.WarningImportance
		s.status.Refresh()
		return
	}
	text, ok := s.u.deps.Images.DecodeImage(img)
	if !ok {
		s.status.SetText(s.u.T("scan.image_no_code"))
		s.status.Importance = widget.WarningImportance
		s.status.Refresh()
		return
	}
	s.u.showPerson(text)
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
