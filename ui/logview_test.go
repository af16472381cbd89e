package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/yongji-county/checkpoint/station"
)

// logFake is the log and its supervisor's side, remembering what it was asked.
type logFake struct {
	filters []station.LogFilter
	exports []string
	detail  station.LogDetail
}

func (l *logFake) QueryLog(_ context.Context, _ station.Session, f station.LogFilter) ([]station.LogRow, int, error) {
	l.filters = append(l.filters, f)
	return []station.LogRow{{ID: "r1", Kind: "check", At: time.Now(), Name: "张*", Verdict: "refer", Household: "220221"}}, 1, nil
}
func (l *logFake) LogStaff(context.Context, station.Session) ([]station.StaffChoice, error) {
	return []station.StaffChoice{{ID: "scan", NameMasked: "李*", SiteID: "sub-1"}}, nil
}
func (l *logFake) LogDetail(_ context.Context, _ station.Session, id string) (station.LogDetail, error) {
	d := l.detail
	d.ID = id
	return d, nil
}
func (l *logFake) ExportLog(_ context.Context, _ station.Session, f station.LogFilter, format string) (string, int, error) {
	l.exports = append(l.exports, format+"|"+f.StaffID)
	return "/data/exports/log." + format, 1, nil
}

func newLogUI(t *testing.T, phone string) (*UI, *logFake) {
	t.Helper()
	u, _ := newTestUI(t)
	l := &logFake{}
	u.deps.Log, u.deps.LogReview = l, l
	login(t, u, phone)
	u.showLog()
	return u, l
}

func (l *logFake) last() station.LogFilter { return l.filters[len(l.filters)-1] }

func TestLogDateRanges(t *testing.T) {
	u, l := newLogUI(t, "13800000001")
	s := u.screen.(*logScreen)
	if f := l.last(); f.To.Sub(f.From) < 27*24*time.Hour {
		t.Errorf("first load spans %v–%v; want the last 28 days", f.From, f.To)
	}
	s.span.SetSelectedIndex(0)
	if f := l.last(); f.To.Sub(f.From) > 25*time.Hour {
		t.Errorf("today spans %v–%v; want one day", f.From, f.To)
	}
	n := len(l.filters)
	test.Type(s.from, "2022-03-32")
	s.from.OnSubmitted(s.from.Text)
	if len(l.filters) != n || !strings.Contains(s.msg.Text, "2022-03-32") {
		t.Errorf("a bad date queried the log or said %q; want a message naming it", s.msg.Text)
	}
	s.from.SetText("2022-03-01")
	test.Type(s.to, "2022-03-15")
	s.to.OnSubmitted(s.to.Text)
	f := l.last()
	if s.msg.Text != "" || f.From.Format("2006-01-02") != "2022-03-01" || f.To.Format("2006-01-02") != "2022-03-16" {
		t.Errorf("from–to = %v–%v, message %q; want 2022-03-01 up to the end of 2022-03-15", f.From, f.To, s.msg.Text)
	}
	s.to.SetText("2022-02-01")
	s.to.OnSubmitted(s.to.Text)
	if s.msg.Text == "" {
		t.Error("the last day before the first: no message")
	}
}

func TestLogStaffSiteFiltersAndExport(t *testing.T) {
	u, l := newLogUI(t, "13800000001")
	s := u.screen.(*logScreen)
	if s.staff == nil || len(s.staff.Options) != 2 || len(s.site.Options) != 3 || !strings.Contains(s.staff.Options[1], "一号卡口") {
		t.Fatalf("staff %v, sites %v; want all + 李*, all + both sites", s.staff, s.site)
	}
	s.staff.SetSelectedIndex(1)
	s.site.SetSelectedIndex(2)
	s.verdict.SetSelectedIndex(3)
	test.Type(s.search, "张")
	s.search.OnSubmitted(s.search.Text)
	if f := l.last(); f.StaffID != "scan" || f.SiteID != "sub-1" || f.Verdict != "refer" || f.Search != "张" {
		t.Errorf("filter = %+v; want staff scan, site sub-1, refer, 张", f)
	}
	test.Tap(s.csv)
	test.Tap(s.xlsx)
	if strings.Join(l.exports, ",") != "csv|scan,xlsx|scan" || !strings.Contains(s.info.Text, "/data/exports/log.xlsx") {
		t.Errorf("exports %v, info %q; want both formats of the filtered rows and the path shown", l.exports, s.info.Text)
	}
}

func TestLogScannerHasNoSupervisorControls(t *testing.T) {
	u, _ := newLogUI(t, "13800000002")
	s := u.screen.(*logScreen)
	if s.staff != nil || s.csv != nil {
		t.Error("a scanner sees the staff filter or export")
	}
}

func TestLogDetail(t *testing.T) {
	u, l := newLogUI(t, "13800000001")
	l.detail = station.LogDetail{LogRow: station.LogRow{Kind: "check", Name: "张*", IDMasked: "220221********1234",
		Verdict: "refer", TempC: "38.5 °C", Household: "220221", StaffID: "scan", SiteID: "sub-1"},
		Reasons: []string{"fever"}, Sync: "quarantined", Reason: "记录格式无效"}
	s := u.screen.(*logScreen)
	s.table.Select(widget.TableCellID{Row: 0, Col: 2})
	if s.detail == nil {
		t.Fatal("tapping a row opened no detail")
	}
	var text []string
	for _, it := range s.detail.Items {
		text = append(text, it.Text+"="+it.Widget.(*widget.Label).Text)
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{"220221********1234", "吉林省吉林市永吉县", "38.5 °C", "李*", "一号卡口", "记录格式无效", "复核"} {
		if !strings.Contains(all, want) {
			t.Errorf("detail\n%s\nlacks %q", all, want)
		}
	}
	if strings.Contains(all, "fever") {
		t.Errorf("detail shows the reason code:\n%s", all)
	}
	s.onCloseDetail()
	if s.detail != nil || len(s.detailBox.Objects) != 0 {
		t.Error("close left the detail open")
	}
}
