package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/yongji-county/checkpoint/station"
)

// header is the bar on top of every screen: who is logged in where, the shift counter, and the
// sync badge (online/offline, pending records, stale data, clock skew).
type header struct {
	u        *UI
	box      *fyne.Container
	title    *canvas.Text
	who      *widget.Label
	count    *widget.Label
	badge    *widget.Label
	warn     *widget.Label
	home     *widget.Button
	lastView station.SyncView
}

func newHeader(u *UI) *header {
	h := &header{u: u}
	h.title = canvas.NewText("", colorPass)
	h.title.TextSize = 22
	h.title.TextStyle.Bold = true
	h.who = widget.NewLabel("")
	h.count = widget.NewLabel("")
	h.badge = widget.NewLabel("")
	h.warn = widget.NewLabel("")
	h.warn.Importance = widget.DangerImportance
	h.home = widget.NewButton("", func() { u.touched(); u.showHome() })
	left := container.NewHBox(h.title, h.who, h.count)
	right := container.NewHBox(h.warn, h.badge, h.home)
	h.box = container.NewVBox(container.NewBorder(nil, nil, left, right), widget.NewSeparator())
	return h
}

func (h *header) refresh() {
	u := h.u
	h.title.Text = u.T("app.name")
	h.title.Refresh()
	h.home.SetText(u.T("nav.home"))
	if u.sess == nil || u.current == "home" {
		h.home.Hide()
	} else {
		h.home.Show()
	}
	if u.sess != nil {
		role := u.T("role.scanner")
		if u.sess.Supervisor {
			role = u.T("role.supervisor")
		}
		h.who.SetText(u.T("header.who", u.sess.NameMasked, role, u.sess.SiteName))
		h.count.SetText(u.T("header.count", u.deps.Checker.ShiftCount(*u.sess)))
	} else {
		h.who.SetText("")
		h.count.SetText("")
	}
	h.setSync(h.lastView)
}

func (h *header) setSync(v station.SyncView) {
	h.lastView = v
	u := h.u
	switch {
	case !v.Enrolled:
		h.badge.SetText("⚠ " + u.T("sync.not_enrolled"))
		h.badge.Importance = widget.WarningImportance
	case v.Online:
		h.badge.SetText("● " + u.T("sync.online", v.Pending))
		h.badge.Importance = widget.SuccessImportance
	default:
		h.badge.SetText("○ " + u.T("sync.offline", v.Pending))
		h.badge.Importance = widget.WarningImportance
	}
	h.badge.Refresh()
	var warn string
	switch {
	case v.ClockSkew > 5*time.Minute || v.ClockSkew < -5*time.Minute:
		warn = "⚠ " + u.T("warn.clock")
	case v.Enrolled && v.DataAge > 24*time.Hour:
		warn = "⚠ " + u.T("warn.stale", int(v.DataAge.Hours()))
	case v.Quarantined > 0:
		warn = "⚠ " + u.T("warn.quarantined", v.Quarantined)
	}
	h.warn.SetText(warn)
}
