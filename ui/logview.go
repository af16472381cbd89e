package ui

import (
	"image/color"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/station"
)

const logPage = 50

// logRanges are the date-range choices (catalogue keys) and how many days back each starts;
// the last, custom, reads the from–to entries.
var logRanges = []struct {
	key  string
	days int
}{{"log.range_today", 0}, {"log.range_7", 6}, {"log.range_28", 27}, {"log.range_custom", -1}}

// logScreen is the local log for review: search by name or masked ID, filter by date range,
// verdict, staff and site, page, open one record, export what is shown.
type logScreen struct {
	u       *UI
	search  *widget.Entry
	verdict *widget.Select
	span    *widget.Select
	from    *widget.Entry
	to      *widget.Entry
	staff   *widget.Select // supervisors only; nil otherwise
	site    *widget.Select // supervisors only; nil otherwise
	table   *widget.Table
	rows    []station.LogRow
	total   int
	offset  int
	info    *widget.Label
	msg     *widget.Label

	staffIDs []string // staff select index → staff id ("" for all)
	siteIDs  []string
	siteName map[string]string
	staffOf  map[string]string // staff id → masked name

	detail    *widget.Form // the open record; nil until a row is tapped
	detailBox *fyne.Container
	csv, xlsx *widget.Button // supervisors only; nil otherwise
}

var verdictKeys = []string{"", "pass", "turn_back", "refer", "invalid"}

func (u *UI) showLog() {
	s := &logScreen{u: u, siteName: map[string]string{}, staffOf: map[string]string{}}
	s.search = widget.NewEntry()
	s.search.SetPlaceHolder(u.T("log.search_hint"))
	s.search.OnSubmitted = func(string) { s.reload() }
	opts := []string{u.T("log.all")}
	for _, v := range verdictKeys[1:] {
		_, w, _ := u.verdictLook(v)
		opts = append(opts, w)
	}
	s.verdict = widget.NewSelect(opts, nil)
	s.verdict.SetSelectedIndex(0)
	s.verdict.OnChanged = s.onFilter
	var spans []string
	for _, r := range logRanges {
		spans = append(spans, u.T(r.key))
	}
	s.span = widget.NewSelect(spans, nil)
	s.span.SetSelectedIndex(2)
	s.span.OnChanged = s.onFilter
	s.from, s.to = widget.NewEntry(), widget.NewEntry()
	s.from.SetPlaceHolder(u.T("log.from_hint"))
	s.to.SetPlaceHolder(u.T("log.to_hint"))
	s.from.OnSubmitted, s.to.OnSubmitted = s.onDate, s.onDate
	s.info = widget.NewLabel("")
	s.msg = errorLabel()
	cols := []string{"log.time", "log.kind", "person.name", "person.id", "person.household", "log.verdict", "log.temp", "log.synced"}
	widths := []float32{190, 120, 110, 210, 255, 110, 90, 90} // 120: "Registration", 255: "吉林省吉林市永吉县 (220221)" in English
	s.table = u.newTable(cols, widths, func() int { return len(s.rows) }, s.cell)
	s.table.OnSelected = s.onSelect
	prev := widget.NewButton("◀ "+u.T("log.prev"), s.onPrev)
	next := widget.NewButton(u.T("log.next")+" ▶", s.onNext)
	find := widget.NewButton(u.T("log.find"), s.reload)
	top := container.NewBorder(nil, nil, nil, container.NewHBox(s.verdict, find), s.search)
	dates := container.NewHBox(s.span, widget.NewLabel(u.T("log.from")), sized(s.from), widget.NewLabel(u.T("log.to")), sized(s.to))
	filters := container.NewVBox(top, dates)
	pager := container.NewHBox(prev, next)
	if u.deps.LogReview != nil && u.sess != nil && u.sess.Supervisor {
		s.fillChoices()
		dates.Add(s.staff)
		dates.Add(s.site)
		s.csv = widget.NewButton(u.T("log.export_csv"), func() { s.onExport(station.FormatCSV) })
		s.xlsx = widget.NewButton(u.T("log.export_xlsx"), func() { s.onExport(station.FormatXLSX) })
		pager.Objects = append([]fyne.CanvasObject{s.csv, s.xlsx}, pager.Objects...)
	}
	bottom := container.NewBorder(nil, nil, s.info, pager, s.msg)
	s.detailBox = container.NewStack()
	u.screen = s
	u.setBody("log", container.NewBorder(filters, bottom, nil, s.detailBox, s.table))
	s.load()
}

// sized gives a date entry room for YYYY-MM-DD.
func sized(e *widget.Entry) fyne.CanvasObject {
	return container.NewGridWrap(fyne.NewSize(140, e.MinSize().Height), e)
}

// fillChoices fills the staff and site selects from the roster and site tree the station knows.
func (s *logScreen) fillChoices() {
	u := s.u
	staffOpts, siteOpts := []string{u.T("log.all_staff")}, []string{u.T("log.all_sites")}
	s.staffIDs, s.siteIDs = []string{""}, []string{""}
	if sites, err := u.deps.Sites.Sites(u.ctx(), *u.sess); err == nil {
		for _, site := range sites {
			s.siteIDs = append(s.siteIDs, site.ID)
			siteOpts = append(siteOpts, site.Name)
			s.siteName[site.ID] = site.Name
		}
	} else {
		s.msg.SetText(u.errText(err))
	}
	if staff, err := u.deps.LogReview.LogStaff(u.ctx(), *u.sess); err == nil {
		for _, p := range staff {
			s.staffIDs = append(s.staffIDs, p.ID)
			label := p.NameMasked
			if n := s.siteName[p.SiteID]; n != "" {
				label += " · " + n
			}
			staffOpts = append(staffOpts, label)
			s.staffOf[p.ID] = p.NameMasked
		}
	} else {
		s.msg.SetText(u.errText(err))
	}
	s.staff = widget.NewSelect(staffOpts, nil)
	s.staff.SetSelectedIndex(0)
	s.staff.OnChanged = s.onFilter
	s.site = widget.NewSelect(siteOpts, nil)
	s.site.SetSelectedIndex(0)
	s.site.OnChanged = s.onFilter
}

func (s *logScreen) onFilter(string) { s.reload() }

// onDate applies typed dates: they select the custom range.
func (s *logScreen) onDate(string) {
	s.span.SetSelectedIndex(len(logRanges) - 1) // fires onFilter
}

func (s *logScreen) reload() { s.offset = 0; s.load() }

func (s *logScreen) onPrev() {
	if s.offset >= logPage {
		s.offset -= logPage
		s.load()
	}
}

func (s *logScreen) onNext() {
	if s.offset+logPage < s.total {
		s.offset += logPage
		s.load()
	}
}

// filter is the log query the widgets describe; ok is false (and the message says why) when a
// typed date is not a day.
func (s *logScreen) filter() (station.LogFilter, bool) {
	u := s.u
	now := u.deps.Now().In(checkpoint.ChinaTime)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, checkpoint.ChinaTime)
	f := station.LogFilter{Search: s.search.Text, Limit: logPage, Offset: s.offset}
	if i := s.verdict.SelectedIndex(); i > 0 {
		f.Verdict = verdictKeys[i]
	}
	if r := logRanges[max(s.span.SelectedIndex(), 0)]; r.days >= 0 {
		// The kiosk keeps synced records for 28 days: the longest range is all of them.
		f.From, f.To = today.AddDate(0, 0, -r.days), now.Add(time.Hour)
	} else {
		var ok bool
		if f.From, ok = s.day(s.from.Text, today.AddDate(0, 0, -27)); !ok {
			return f, false
		}
		if f.To, ok = s.day(s.to.Text, today); !ok {
			return f, false
		}
		f.To = f.To.AddDate(0, 0, 1) // the last day is included
		if !f.From.Before(f.To) {
			s.msg.SetText(u.T("log.bad_range"))
			return f, false
		}
	}
	if s.staff != nil {
		f.StaffID = s.staffIDs[max(s.staff.SelectedIndex(), 0)]
		f.SiteID = s.siteIDs[max(s.site.SelectedIndex(), 0)]
	}
	return f, true
}

// day reads a YYYY-MM-DD day in China time; empty means def.
func (s *logScreen) day(text string, def time.Time) (time.Time, bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		return def, true
	}
	d, err := time.ParseInLocation("2006-01-02", text, checkpoint.ChinaTime)
	if err != nil {
		s.msg.SetText(s.u.T("log.bad_date", text))
		return time.Time{}, false
	}
	return d, true
}

func (s *logScreen) load() {
	u := s.u
	f, ok := s.filter()
	if !ok {
		return
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
	s.table.UnselectAll()
	s.table.Refresh()
}

// onExport writes what the filters select (every page) to a file in the data directory.
func (s *logScreen) onExport(format string) {
	u := s.u
	u.touched()
	f, ok := s.filter()
	if !ok {
		return
	}
	path, n, err := u.deps.LogReview.ExportLog(u.ctx(), *u.sess, f, format)
	if err != nil {
		s.msg.SetText(u.errText(err))
		return
	}
	s.msg.SetText("")
	s.info.SetText(u.T("log.exported", n, path))
}

// onSelect opens the tapped row's record in the detail panel.
func (s *logScreen) onSelect(id widget.TableCellID) {
	u := s.u
	u.touched()
	if id.Row < 0 || id.Row >= len(s.rows) {
		return
	}
	if u.deps.LogReview == nil {
		return
	}
	d, err := u.deps.LogReview.LogDetail(u.ctx(), *u.sess, s.rows[id.Row].ID)
	if err != nil {
		s.msg.SetText(u.errText(err))
		return
	}
	s.showDetail(d)
}

func (s *logScreen) showDetail(d station.LogDetail) {
	u := s.u
	item := func(key, value string) *widget.FormItem {
		if value == "" {
			value = "—"
		}
		l := widget.NewLabel(value)
		l.Wrapping = fyne.TextWrapWord
		return widget.NewFormItem(u.T(key), l)
	}
	sym, verdict, _ := u.verdictLook(d.Verdict)
	var reasons []string
	for _, r := range d.Reasons {
		m := checkpoint.MessageFor(r)
		if u.tr.Lang() == LangEN {
			reasons = append(reasons, m.EN)
		} else {
			reasons = append(reasons, m.ZH)
		}
	}
	staff := d.StaffID
	if n := s.staffOf[d.StaffID]; n != "" {
		staff = n
	}
	site := d.SiteID
	if n := s.siteName[d.SiteID]; n != "" {
		site = n
	}
	status := ""
	if d.CodeStatus != "" {
		status = u.statusWords(d.CodeStatus, "")
	}
	s.detail = widget.NewForm(
		item("log.time", d.At.In(checkpoint.ChinaTime).Format("2006-01-02 15:04:05")),
		item("log.kind", u.T("log.kind_"+d.Kind)),
		item("person.name", d.Name),
		item("person.id", d.IDMasked),
		item("log.phone", d.PhoneMasked),
		item("person.household", u.regionName(d.Household)),
		item("log.code_status", status),
		item("log.verdict", sym+" "+verdict),
		item("log.reasons", strings.Join(reasons, u.T("log.reason_sep"))),
		item("log.temp", d.TempC),
		item("log.staff", staff),
		item("log.site", site),
		item("log.remarks", d.Remarks),
		item("log.sync", s.syncWords(d)),
	)
	closeB := widget.NewButton(u.T("log.close"), s.onCloseDetail)
	title := widget.NewLabelWithStyle(u.T("log.detail"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	// As wide as the form needs, as tall as the table: the form scrolls rather than making the
	// window taller than the screen.
	width := canvas.NewRectangle(color.Transparent)
	width.SetMinSize(fyne.NewSize(380, 0))
	s.detailBox.Objects = []fyne.CanvasObject{container.NewStack(width,
		container.NewVScroll(container.NewVBox(title, s.detail, closeB)))}
	s.detailBox.Refresh()
}

// syncWords says where a record stands with HQ.
func (s *logScreen) syncWords(d station.LogDetail) string {
	u := s.u
	switch d.Sync {
	case "synced":
		if d.SyncedAt.IsZero() {
			return u.T("log.sync_synced")
		}
		return u.T("log.sync_synced_at", d.SyncedAt.In(checkpoint.ChinaTime).Format("2006-01-02 15:04:05"))
	case "quarantined":
		return u.T("log.sync_quarantined", d.Reason)
	default:
		return u.T("log.sync_pending")
	}
}

func (s *logScreen) onCloseDetail() {
	s.detail = nil
	s.detailBox.Objects = nil
	s.detailBox.Refresh()
	s.table.UnselectAll()
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

func (s *logScreen) cell(r, c int) string {
	if r >= len(s.rows) {
		return ""
	}
	row := s.rows[r]
	switch c {
	case 0:
		return row.At.In(checkpoint.ChinaTime).Format("2006-01-02 15:04:05") // as the detail and the date filter
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
		last = v.LastSuccess.In(checkpoint.ChinaTime).Format("2006-01-02 15:04:05")
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
