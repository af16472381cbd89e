package ui

import (
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/yongji-county/checkpoint/station"
)

const logPage = 50

// logScreen is the local log for review: search by name or masked ID, filter by verdict, page.
type logScreen struct {
	u       *UI
	search  *widget.Entry
	verdict *widget.Select
	table   *widget.Table
	rows    []station.LogRow
	total   int
	offset  int
	info    *widget.Label
	msg     *widget.Label
}

var verdictKeys = []string{"", "pass", "turn_back", "refer", "invalid"}

func (u *UI) showLog() {
	s := &logScreen{u: u}
	s.search = widget.NewEntry()
	s.search.SetPlaceHolder(u.T("log.search_hint"))
	s.search.OnSubmitted = func(string) { s.offset = 0; s.load() }
	opts := []string{u.T("log.all")}
	for _, v := range verdictKeys[1:] {
		_, w, _ := u.verdictLook(v)
		opts = append(opts, w)
	}
	s.verdict = widget.NewSelect(opts, nil)
	s.verdict.SetSelectedIndex(0)
	s.verdict.OnChanged = func(string) { s.offset = 0; s.load() }
	s.info = widget.NewLabel("")
	s.msg = errorLabel()
	cols := []string{"log.time", "log.kind", "person.name", "person.id", "person.household", "log.verdict", "log.temp", "log.synced"}
	widths := []float32{190, 90, 110, 210, 230, 110, 90, 90}
	s.table = u.newTable(cols, widths, func() int { return len(s.rows) }, s.cell)
	prev := widget.NewButton("◀ "+u.T("log.prev"), func() {
		if s.offset >= logPage {
			s.offset -= logPage
			s.load()
		}
	})
	next := widget.NewButton(u.T("log.next")+" ▶", func() {
		if s.offset+logPage < s.total {
			s.offset += logPage
			s.load()
		}
	})
	find := widget.NewButton(u.T("log.find"), func() { s.offset = 0; s.load() })
	top := container.NewBorder(nil, nil, nil, container.NewHBox(s.verdict, find), s.search)
	bottom := container.NewBorder(nil, nil, s.info, container.NewHBox(prev, next), s.msg)
	u.screen = s
	u.setBody("log", container.NewBorder(top, bottom, nil, nil, s.table))
	s.load()
}

// newTable is a read-only table of labels with a bold header row: cols are catalogue keys,
// rows the row count, cell the text at (row, column).
func (u *UI) newTable(cols []string, widths []float32, rows func() int, cell func(r, c int) string) *widget.Table {
	t := widget.NewTable(
		func() (int, int) { return rows(), len(cols) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TableCellID, o fyne.CanvasObject) { o.(*widget.Label).SetText(cell(id.Row, id.Col)) },
	)
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 {
			o.(*widget.Label).SetText(u.T(cols[id.Col]))
		}
	}
	for i, w := range widths {
		t.SetColumnWidth(i, w)
	}
	return t
}

func (s *logScreen) load() {
	u := s.u
	// A time window keeps text search fast; the kiosk keeps synced records for 28 days anyway.
	now := u.deps.Now()
	f := station.LogFilter{From: now.AddDate(0, 0, -31), To: now.Add(time.Hour), Search: s.search.Text, Limit: logPage, Offset: s.offset}
	if i := s.verdict.SelectedIndex(); i > 0 {
		f.Verdict = verdictKeys[i]
	}
	rows, total, err := u.deps.Log.QueryLog(u.ctx(), *u.sess, f)
	if err != nil {
		s.msg.SetText(u.errText(err))
		return
	}
	s.msg.SetText("")
	s.rows, s.total = rows, total
	last := s.offset + len(rows)
	first := s.offset + 1
	if len(rows) == 0 {
		first = 0
	}
	s.info.SetText(u.T("log.info", first, last, total))
	s.table.Refresh()
}

func (s *logScreen) cell(r, c int) string {
	if r >= len(s.rows) {
		return ""
	}
	row := s.rows[r]
	switch c {
	case 0:
		return row.At.Local().Format("2006-01-02 15:04:05")
	case 1:
		return s.u.T("log.kind_" + row.Kind)
	case 2:
		return row.Name
	case 3:
		return row.IDMasked
	case 4:
		return s.u.regionName(row.Household)
	case 5:
		sym, w, _ := s.u.verdictLook(row.Verdict)
		return sym + " " + w
	case 6:
		return row.TempC
	case 7:
		if row.Synced {
			return "✔ " + s.u.T("log.yes")
		}
		return "… " + s.u.T("log.no")
	}
	return ""
}

// syncScreen shows the sync state in words and offers 立即同步.
type syncScreen struct {
	u          *UI
	form       *widget.Form
	now        *widget.Button
	quarantine *widget.Button // supervisors only; nil otherwise
}

func (u *UI) showSync() {
	s := &syncScreen{u: u}
	v := u.deps.Syncer.SyncView(u.ctx())
	state := u.T("sync.state_offline")
	if !v.Enrolled {
		state = u.T("sync.not_enrolled")
	} else if v.Online {
		state = u.T("sync.state_online")
	}
	last := u.T("sync.never")
	if !v.LastSuccess.IsZero() {
		last = v.LastSuccess.Local().Format("2006-01-02 15:04:05")
	}
	lastErr := v.LastError
	if lastErr == "" {
		lastErr = u.T("sync.no_error")
	}
	errL := widget.NewLabel(lastErr)
	errL.Wrapping = fyne.TextWrapWord
	refused := strconv.FormatInt(v.Refused, 10)
	if v.LastRefusal != "" {
		refused += " · " + v.LastRefusal
	}
	refusedL := widget.NewLabel(refused)
	refusedL.Wrapping = fyne.TextWrapWord
	s.form = widget.NewForm(
		widget.NewFormItem(u.T("sync.state"), widget.NewLabel(state)),
		widget.NewFormItem(u.T("sync.pending"), widget.NewLabel(strconv.Itoa(v.Pending))),
		widget.NewFormItem(u.T("sync.quarantined"), widget.NewLabel(strconv.Itoa(v.Quarantined))),
		widget.NewFormItem(u.T("sync.last_success"), widget.NewLabel(last)),
		widget.NewFormItem(u.T("sync.last_error"), errL),
		widget.NewFormItem(u.T("sync.refused"), refusedL),
	)
	s.now = widget.NewButton(u.T("sync.now"), func() {
		u.touched()
		u.deps.Syncer.SyncNow()
		s.now.SetText(u.T("sync.started"))
	})
	s.now.Importance = widget.HighImportance
	refresh := widget.NewButton(u.T("sync.refresh"), u.showSync)
	title := widget.NewLabelWithStyle(u.T("home.sync"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	box := container.NewVBox(title, s.form, container.NewGridWithColumns(2, refresh, s.now))
	if u.deps.Quarantine != nil && u.sess != nil && u.sess.Supervisor {
		s.quarantine = widget.NewButton(u.T("sync.view_quarantine"), u.showQuarantine)
		if v.Quarantined == 0 {
			s.quarantine.Disable()
		}
		box.Add(s.quarantine)
	}
	u.screen = s
	u.setBody("sync", container.NewCenter(container.NewGridWrap(fyne.NewSize(640, 460), box)))
}
