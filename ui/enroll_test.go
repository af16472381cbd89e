package ui

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/yongji-county/checkpoint/station"
)

// enrollFake is a kiosk not enrolled: it refuses the first try for unproven pending records.
type enrollFake struct {
	enrolled bool
	calls    []bool // force of each call
}

func (e *enrollFake) SyncView(context.Context) station.SyncView {
	return station.SyncView{Enrolled: e.enrolled}
}
func (e *enrollFake) SyncNow() {}
func (e *enrollFake) Enroll(_ context.Context, hqURL, code string, force bool) error {
	e.calls = append(e.calls, force)
	if hqURL == "hq" {
		return &station.Problem{Code: "insecure", ZH: "总部地址不对", EN: "bad HQ address"}
	}
	if !force {
		return &station.Problem{Code: station.CodeUnprovenPending, ZH: "本机有待上传记录", EN: "records are pending"}
	}
	e.enrolled = true
	return nil
}

func TestEnrollFirstRun(t *testing.T) {
	u, _ := newTestUI(t)
	e := &enrollFake{}
	u.deps.Syncer, u.deps.Enroller = e, e
	u.showLogin()
	ls := u.screen.(*loginScreen)
	if ls.enroll == nil {
		t.Fatal("a kiosk not enrolled shows no 登记设备")
	}
	test.Tap(ls.enroll)
	s, ok := u.screen.(*enrollScreen)
	if !ok {
		t.Fatalf("登记设备 opened %q", u.Current())
	}
	test.Type(s.hq, "hq")
	test.Type(s.code, "ABCD")
	test.Tap(s.submit)
	if s.msg.Text != "总部地址不对" || s.force.Visible() {
		t.Errorf("bad address: message %q, force shown %v; want the words, no force", s.msg.Text, s.force.Visible())
	}
	s.hq.SetText("https://hq.example")
	test.Tap(s.submit)
	if s.msg.Text != "本机有待上传记录" || !s.force.Visible() {
		t.Fatalf("unproven pending: message %q, force shown %v; want the words and the force confirmation", s.msg.Text, s.force.Visible())
	}
	test.Tap(s.force)
	if len(e.calls) != 3 || !e.calls[2] || u.Current() != "login" {
		t.Fatalf("calls %v, screen %q; want the third forced and back at login", e.calls, u.Current())
	}
	ls = u.screen.(*loginScreen)
	if ls.enroll != nil || ls.msg.Text == "" {
		t.Errorf("after enrolling: 登记设备 still offered (%v) or no word of success (%q)", ls.enroll != nil, ls.msg.Text)
	}
}

func TestEnrollHiddenInDemoAndWhenEnrolled(t *testing.T) {
	u, _ := newTestUI(t)
	e := &enrollFake{}
	u.deps.Syncer, u.deps.Enroller, u.deps.DemoHint = e, e, "13800000001 / demo"
	u.showLogin()
	if u.screen.(*loginScreen).enroll != nil {
		t.Error("demo mode offers 登记设备")
	}
	u.deps.DemoHint, e.enrolled = "", true
	u.showLogin()
	if u.screen.(*loginScreen).enroll != nil {
		t.Error("an enrolled kiosk offers 登记设备")
	}
}
