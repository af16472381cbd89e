package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/station"
)

// fakeQuarantine is a kiosk with two quarantined records.
type fakeQuarantine struct {
	rows     []station.QuarantineRow
	requeued []string
	exported int
}

func (q *fakeQuarantine) Quarantined(context.Context, station.Session) ([]station.QuarantineRow, error) {
	return q.rows, nil
}
func (q *fakeQuarantine) Requeue(_ context.Context, _ station.Session, ids ...string) error {
	q.requeued = append(q.requeued, ids...)
	q.rows = nil
	return nil
}
func (q *fakeQuarantine) ExportQuarantine(context.Context, station.Session) (string, int, error) {
	q.exported++
	return "/data/exports/quarantine-1.jsonl", len(q.rows), nil
}

type quarantinedSync struct{ *fake }

func (quarantinedSync) SyncView(context.Context) station.SyncView {
	return station.SyncView{Enrolled: true, Quarantined: 2}
}

func TestQuarantineScreen(t *testing.T) {
	a := test.NewTempApp(t)
	f := &fake{}
	q := &fakeQuarantine{rows: []station.QuarantineRow{
		{ID: "r1", Kind: checkpoint.KindCheck, CreatedAt: time.Now(), Reason: "记录格式无效 / invalid record"},
		{ID: "r2", Kind: checkpoint.KindSiteEdit, CreatedAt: time.Now(), Reason: "rejected: too_large"},
	}}
	u, err := New(a, Deps{Auth: f, Checker: f, Registrar: f, Sites: f, Log: f, Syncer: quarantinedSync{f}, Quarantine: q})
	if err != nil {
		t.Fatal(err)
	}
	u.Window().Resize(fyne.NewSize(1024, 720))

	// A scanner sees no quarantine button.
	login(t, u, "13800000002")
	u.showSync()
	if s := u.screen.(*syncScreen); s.quarantine != nil {
		t.Error("a scanner's sync screen offers the quarantine list")
	}
	u.logout()

	login(t, u, "13800000001")
	u.showSync()
	s := u.screen.(*syncScreen)
	if s.quarantine == nil || s.quarantine.Disabled() {
		t.Fatal("the supervisor's sync screen has no enabled quarantine button with 2 quarantined")
	}
	test.Tap(s.quarantine)
	if u.Current() != "quarantine" {
		t.Fatalf("after tapping the button the screen is %q; want quarantine", u.Current())
	}
	qs := u.screen.(*quarantineScreen)
	if got := qs.cell(0, 2); got != "记录格式无效 / invalid record" {
		t.Errorf("first row's reason = %q; want HQ's words", got)
	}
	if got := qs.info.Text; !strings.Contains(got, "2") {
		t.Errorf("count label = %q; want 2", got)
	}
	test.Tap(qs.export)
	if q.exported != 1 || !strings.Contains(qs.msg.Text, "/data/exports/quarantine-1.jsonl") {
		t.Errorf("after export: %d exports, message %q; want the file's path shown", q.exported, qs.msg.Text)
	}
	test.Tap(qs.requeue)
	if strings.Join(q.requeued, ",") != "r1,r2" || len(qs.rows) != 0 || !qs.requeue.Disabled() {
		t.Errorf("after requeue: requeued %v, %d rows left; want both requeued and the list empty", q.requeued, len(qs.rows))
	}
}
