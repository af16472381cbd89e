package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/yongji-county/checkpoint/station"
)

// quarantineScreen lists the records HQ could not store (隔离记录), with HQ's reason, for the
// supervisor: export them for HQ, or put them back in the queue once the cause is fixed.
type quarantineScreen struct {
	u       *UI
	rows    []station.QuarantineRow
	table   *widget.Table
	info    *widget.Label
	msg     *widget.Label
	export  *widget.Button
	requeue *widget.Button
}

func (u *UI) showQuarantine() {
	s := &quarantineScreen{u: u}
	cols := []string{"log.time", "log.kind", "quarantine.reason"}
	widths := []float32{190, 120, 620}
	s.table = u.newTable(cols, widths, func() int { return len(s.rows) }, s.cell)
	s.info = widget.NewLabel("")
	s.msg = errorLabel()
	s.msg.Wrapping = fyne.TextWrapWord
	s.export = widget.NewButton(u.T("quarantine.export"), s.onExport)
	s.requeue = widget.NewButton(u.T("quarantine.requeue"), s.onRequeue)
	s.requeue.Importance = widget.HighImportance
	back := widget.NewButton(u.T("home.sync"), u.showSync)
	title := widget.NewLabelWithStyle(u.T("quarantine.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	hint := widget.NewLabel(u.T("quarantine.hint"))
	hint.Wrapping = fyne.TextWrapWord
	top := container.NewVBox(title, hint)
	bottom := container.NewVBox(s.msg, container.NewBorder(nil, nil, s.info, container.NewHBox(back, s.export, s.requeue)))
	u.screen = s
	u.setBody("quarantine", container.NewBorder(top, bottom, nil, nil, s.table))
	s.load()
}

func (s *quarantineScreen) load() {
	rows, err := s.u.deps.Quarantine.Quarantined(s.u.ctx(), *s.u.sess)
	if err != nil {
		s.msg.SetText(s.u.errText(err))
		return
	}
	s.rows = rows
	s.info.SetText(s.u.T("quarantine.count", len(rows)))
	if len(rows) == 0 {
		s.export.Disable()
		s.requeue.Disable()
	} else {
		s.export.Enable()
		s.requeue.Enable()
	}
	s.table.Refresh()
}

func (s *quarantineScreen) cell(r, c int) string {
	if r >= len(s.rows) {
		return ""
	}
	row := s.rows[r]
	switch c {
	case 0:
		return row.CreatedAt.Local().Format("2006-01-02 15:04:05")
	case 1:
		return s.u.T("log.kind_" + string(row.Kind))
	case 2:
		return row.Reason
	}
	return ""
}

func (s *quarantineScreen) onExport() {
	s.u.touched()
	path, n, err := s.u.deps.Quarantine.ExportQuarantine(s.u.ctx(), *s.u.sess)
	if err != nil {
		s.msg.SetText(s.u.errText(err))
		return
	}
	s.msg.SetText(s.u.T("quarantine.exported", n, path))
}

func (s *quarantineScreen) onRequeue() {
	s.u.touched()
	ids := make([]string, 0, len(s.rows))
	for _, r := range s.rows {
		ids = append(ids, r.ID)
	}
	if err := s.u.deps.Quarantine.Requeue(s.u.ctx(), *s.u.sess, ids...); err != nil {
		s.msg.SetText(s.u.errText(err))
		return
	}
	s.load()
	s.msg.SetText(s.u.T("quarantine.requeued", len(ids)))
}
