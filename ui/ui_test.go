package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/station"
)

// fake implements every service interface with in-memory state.
type fake struct {
	confirmed  []string
	registered []station.Registration
	sites      []checkpoint.Site
	saved      []checkpoint.Site
	staff      []station.NewStaff
	notices    []station.Notice
}

func (f *fake) Login(_ context.Context, phone, pw string) (station.Session, error) {
	if pw != "right-password" {
		return station.Session{}, &station.Problem{Code: "bad_password", ZH: "手机号或密码错误", EN: "wrong phone number or password"}
	}
	return station.Session{StaffID: "s1", NameMasked: "张*", Supervisor: phone == "13800000001", SiteID: "demo-site", SiteName: "示范站"}, nil
}
func (f *fake) Logout(context.Context, station.Session) {}

func (f *fake) Scan(_ context.Context, _ station.Session, text string) station.ScanView {
	if text == "bad" {
		return station.ScanView{Text: text, ErrorKind: "malformed", Decision: station.Decision{Verdict: "invalid", MessageZH: "无法识别的码", MessageEN: "unreadable"}}
	}
	if text == "red" {
		return station.ScanView{Text: text, Valid: true, Name: "李四", IDMasked: "220221********1234", Household: "220221",
			Status: "red", ExpiresAt: time.Now().Add(time.Hour),
			Decision: station.Decision{Verdict: "refer", MessageZH: "红码", MessageEN: "red code"}}
	}
	household := map[string]string{"retired": "110103", "unknown": "220299"}[text]
	if household == "" {
		household = "220221"
	}
	return station.ScanView{Text: text, Valid: true, Name: "李四", IDMasked: "220221********1234", Household: household,
		Status: "green", HighRisk: text == "risky", RiskArea: map[bool]string{true: "2202"}[text == "risky"], ExpiresAt: time.Now().Add(time.Hour),
		Decision: station.Decision{Verdict: "pass", MessageZH: "通行", MessageEN: "pass"}}
}
func (f *fake) Decide(v station.ScanView, temp string, localStay bool) (station.Decision, error) {
	if temp == "38.5" {
		return station.Decision{Verdict: "refer", MessageZH: "发热", MessageEN: "fever"}, nil
	}
	if temp == "x" {
		return v.Decision, &station.Problem{Code: "temp", ZH: "体温格式不正确", EN: "bad temperature"}
	}
	if v.HighRisk && !localStay {
		return station.Decision{Verdict: "turn_back", MessageZH: "劝返", MessageEN: "turn back"}, nil
	}
	return v.Decision, nil
}
func (f *fake) Confirm(_ context.Context, _ station.Session, v station.ScanView, temp string, ls bool) (station.Decision, error) {
	d, err := f.Decide(v, temp, ls)
	if err != nil {
		return d, err
	}
	f.confirmed = append(f.confirmed, v.Text+"|"+temp+"|"+d.Verdict)
	return d, nil
}
func (f *fake) ShiftCount(station.Session) int { return len(f.confirmed) }

func (f *fake) SendSMS(context.Context, string) error { return errors.New("offline") }
func (f *fake) CheckRegistration(r station.Registration) error {
	if len(r.ID) != 18 {
		return &station.Problem{Code: "id_length", ZH: "身份证号应为18位", EN: "ID must have 18 characters"}
	}
	return nil
}
func (f *fake) Register(_ context.Context, _ station.Session, r station.Registration) (station.Decision, error) {
	f.registered = append(f.registered, r)
	return station.Decision{Verdict: "pass"}, nil
}

func (f *fake) Sites(context.Context, station.Session) ([]checkpoint.Site, error) {
	return f.sites, nil
}
func (f *fake) SaveSite(_ context.Context, _ station.Session, s checkpoint.Site, _ bool) error {
	if s.ID == "" {
		s.ID = "new"
	}
	if err := s.Validate(); err != nil {
		return &station.Problem{Code: "site", ZH: "请填写必填项", EN: "fill in the required fields"}
	}
	f.saved = append(f.saved, s)
	return nil
}
func (f *fake) Notices(context.Context, station.Session) ([]station.Notice, error) {
	return f.notices, nil
}
func (f *fake) AddStaff(_ context.Context, _ station.Session, n station.NewStaff) error {
	f.staff = append(f.staff, n)
	return nil
}
func (f *fake) QueryLog(context.Context, station.Session, station.LogFilter) ([]station.LogRow, int, error) {
	return []station.LogRow{{ID: "1", Kind: "check", At: time.Now(), Name: "李*", Verdict: "pass", Household: "220221"}}, 1, nil
}
func (f *fake) SyncView(context.Context) station.SyncView {
	return station.SyncView{Enrolled: true, Pending: 3}
}
func (f *fake) SyncNow() {}

func newTestUI(t *testing.T) (*UI, *fake) {
	t.Helper()
	return newTestUIWith(t, func(*Deps) {})
}

// newTestUIWith builds the test UI with Deps changed by edit (e.g. to add a Sound).
func newTestUIWith(t *testing.T, edit func(*Deps)) (*UI, *fake) {
	t.Helper()
	a := test.NewTempApp(t)
	f := &fake{sites: []checkpoint.Site{
		{ID: "demo-site", Name: "示范站", Address: "永吉县", Contact: "王五", Phone: "0432-1"},
		{ID: "sub-1", ParentID: "demo-site", Name: "一号卡口", Address: "路口", Contact: "赵六", Phone: "0432-2"},
	}}
	d := Deps{Auth: f, Checker: f, Registrar: f, Sites: f, Log: f, Syncer: f}
	edit(&d)
	u, err := New(a, d)
	if err != nil {
		t.Fatal(err)
	}
	u.Window().Resize(fyne.NewSize(1024, 720))
	return u, f
}

func login(t *testing.T, u *UI, phone string) {
	t.Helper()
	s := u.screen.(*loginScreen)
	test.Type(s.phone, phone)
	test.Type(s.password, "right-password")
	test.Tap(s.submit)
	if u.Current() != "home" {
		t.Fatalf("after login the screen is %q; want home", u.Current())
	}
}

func TestLoginWrongPasswordShowsMessage(t *testing.T) {
	u, _ := newTestUI(t)
	s := u.screen.(*loginScreen)
	test.Type(s.phone, "13800000002")
	test.Type(s.password, "nope")
	test.Tap(s.submit)
	if u.Current() != "login" || s.msg.Text != "手机号或密码错误" {
		t.Fatalf("screen %q, message %q; want login with the Chinese message", u.Current(), s.msg.Text)
	}
	if s.password.Text != "" {
		t.Error("the password entry keeps the wrong password")
	}
}

func TestLanguageSwitch(t *testing.T) {
	u, _ := newTestUI(t)
	s := u.screen.(*loginScreen)
	s.lang.SetSelected("English")
	s = u.screen.(*loginScreen)
	if s.submit.Text != "Log in" {
		t.Fatalf("after switching to English the button says %q", s.submit.Text)
	}
}

func TestScanConfirmRecordsAndReturnsToScanning(t *testing.T) {
	u, f := newTestUI(t)
	login(t, u, "13800000002")
	home := u.screen.(*homeScreen)
	if !home.sites.Disabled() {
		t.Error("site management is open to scanner staff")
	}
	test.Tap(home.scan)
	sc := u.screen.(*scanScreen)
	test.Type(sc.manual, "JXM1:CODE")
	test.Tap(sc.submit)
	p, ok := u.screen.(*personScreen)
	if !ok {
		t.Fatalf("after a scan the screen is %q; want person", u.Current())
	}
	test.Type(p.temp, "38.5")
	if p.banner.word.Text != "复核" {
		t.Errorf("banner with fever says %q; want 复核", p.banner.word.Text)
	}
	test.Tap(p.confirm)
	if u.Current() != "scan" || len(f.confirmed) != 1 || f.confirmed[0] != "JXM1:CODE|38.5|refer" {
		t.Fatalf("screen %q, confirmed %v", u.Current(), f.confirmed)
	}
	if got := u.screen.(*scanScreen).status.Text; !strings.Contains(got, "复核") {
		t.Errorf("scan screen after confirm says %q; want the recorded verdict", got)
	}
}

func TestHighRiskOffersLocalStay(t *testing.T) {
	u, f := newTestUI(t)
	login(t, u, "13800000002")
	u.showPerson("risky")
	p := u.screen.(*personScreen)
	if p.localStay.Hidden {
		t.Fatal("local-stay confirmation hidden for a high-risk household")
	}
	if p.banner.word.Text != "劝返" {
		t.Errorf("banner says %q; want 劝返", p.banner.word.Text)
	}
	if !strings.HasSuffix(p.exception.Text, "所列高风险地区：吉林省吉林市") {
		t.Errorf("high-risk note %q does not name the listed area (2202)", p.exception.Text)
	}
	p.localStay.SetChecked(true)
	test.Type(p.temp, "36.5")
	test.Tap(p.confirm)
	if len(f.confirmed) != 1 || !strings.HasSuffix(f.confirmed[0], "|pass") {
		t.Fatalf("confirmed %v; want a pass with the exception", f.confirmed)
	}
}

// TestPersonShowsHouseholdName: 户籍地 reads as a name, not a code, in both languages.
func TestPersonShowsHouseholdName(t *testing.T) {
	tests := []struct {
		lang, text, want string
	}{
		{LangZH, "ok", "吉林省吉林市永吉县"},
		{LangZH, "retired", "北京市崇文区"},
		{LangZH, "unknown", "未知地区（220299）"},
		{LangEN, "ok", "吉林省吉林市永吉县 (220221)"},
		{LangEN, "unknown", "unknown region (220299)"},
	}
	for _, tt := range tests {
		u, _ := newTestUI(t)
		login(t, u, "13800000002")
		u.tr.SetLang(tt.lang)
		u.showPerson(tt.text)
		p := u.screen.(*personScreen)
		if p.household == nil {
			t.Fatalf("%s: person screen for %q has no household line", tt.lang, tt.text)
		}
		if p.household.Text != tt.want {
			t.Errorf("%s: person screen for %q shows household %q; want %q", tt.lang, tt.text, p.household.Text, tt.want)
			continue
		}
		if !labelShown(u.Window().Canvas(), tt.want) {
			t.Errorf("%s: no visible label %q on the person screen", tt.lang, tt.want)
		}
	}
}

// TestLogShowsHouseholdName: the log has a 户籍地 column with the name.
func TestLogShowsHouseholdName(t *testing.T) {
	u, _ := newTestUI(t)
	login(t, u, "13800000001")
	u.showLog()
	s := u.screen.(*logScreen)
	if got := s.cell(0, 4); got != "吉林省吉林市永吉县" {
		t.Errorf("log household cell = %q; want 吉林省吉林市永吉县", got)
	}
}

func TestBadTemperatureIsExplained(t *testing.T) {
	u, f := newTestUI(t)
	login(t, u, "13800000002")
	u.showPerson("ok")
	p := u.screen.(*personScreen)
	test.Type(p.temp, "x")
	test.Tap(p.confirm)
	if p.msg.Text != "体温格式不正确" || len(f.confirmed) != 0 || u.Current() != "person" {
		t.Fatalf("message %q, confirmed %v, screen %q", p.msg.Text, f.confirmed, u.Current())
	}
}

func TestRegistrationTwoSteps(t *testing.T) {
	u, f := newTestUI(t)
	login(t, u, "13800000002")
	u.showRegister()
	r := u.screen.(*registerScreen)
	test.Type(r.phone, "13912345678")
	test.Type(r.name, "王小明")
	test.Type(r.id, "12345")
	test.Tap(r.next)
	if r.step != 1 || r.msg.Text != "身份证号应为18位" {
		t.Fatalf("step %d message %q; want step 1 with the ID message", r.step, r.msg.Text)
	}
	r.id.SetText("220221199001011234")
	test.Tap(r.next)
	if r.step != 2 {
		t.Fatal("did not move to step 2")
	}
	test.Type(r.temp, "36.6")
	test.Tap(r.submit)
	if len(f.registered) != 1 || f.registered[0].Temp != "36.6" || u.Current() != "register_done" {
		t.Fatalf("registered %v, screen %q", f.registered, u.Current())
	}
}

func TestSitesForSupervisor(t *testing.T) {
	u, f := newTestUI(t)
	login(t, u, "13800000001")
	test.Tap(u.screen.(*homeScreen).sites)
	s := u.screen.(*sitesScreen)
	if s.summary.Text != "当前账户管理的下级站点：1 个" {
		t.Errorf("summary %q", s.summary.Text)
	}
	s.list.Select(1)
	if len(s.detail.Objects) < 2 {
		t.Fatal("no detail shown for the selected site")
	}
	s.showForm(checkpoint.Site{ParentID: "demo-site"}, true)
	if u.Current() != "site_form" {
		t.Fatalf("screen %q", u.Current())
	}
	// Confirm with required fields empty: stays on the form.
	form := findButton(u.body, "确认")
	test.Tap(form)
	if u.Current() != "site_form" || len(f.saved) != 0 {
		t.Fatalf("an incomplete site was saved: %v", f.saved)
	}
}

// labelShown reports whether a visible label laid out on c reads text.
func labelShown(c fyne.Canvas, text string) bool {
	for _, o := range test.LaidOutObjects(c.Content()) {
		if l, ok := o.(*widget.Label); ok && l.Visible() && l.Text == text {
			return true
		}
	}
	return false
}

// An edit HQ answered superseded is shown on the site management screen, in words naming the site.
func TestSitesShowSupersededEdits(t *testing.T) {
	u, f := newTestUI(t)
	login(t, u, "13800000001")
	test.Tap(u.screen.(*homeScreen).sites)
	if s := u.screen.(*sitesScreen); s.notices.Visible() {
		t.Errorf("notices shown with none: %q", s.notices.Text)
	}
	f.notices = []station.Notice{{Kind: checkpoint.KindSiteEdit, ID: "a1", Name: "东门卡点", Code: checkpoint.ResultSuperseded}}
	u.showSites()
	s := u.screen.(*sitesScreen)
	if want := "您对站点「东门卡点」的修改未生效：总部已有更新的版本，现已显示总部的版本"; s.notices.Text != want || !s.notices.Visible() {
		t.Errorf("notices = %q (visible %v); want %q", s.notices.Text, s.notices.Visible(), want)
	}
}

func findButton(o fyne.CanvasObject, text string) *widget.Button {
	switch x := o.(type) {
	case *widget.Button:
		if x.Text == text {
			return x
		}
	case *fyne.Container:
		for _, c := range x.Objects {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	}
	return nil
}

type fakeWedge struct{ buf []rune }

func (w *fakeWedge) Key(r rune, _ time.Time) (string, bool) {
	if r == '\n' {
		s := string(w.buf)
		w.buf = nil
		return s, len(s) > 3
	}
	w.buf = append(w.buf, r)
	return "", false
}

func TestWedgeScanFromHomeAndFromTemperatureEntry(t *testing.T) {
	u, _ := newTestUI(t)
	u.deps.Wedge = &fakeWedge{}
	login(t, u, "13800000002")
	for _, r := range "JXM:FIRST" {
		u.wedgeKey(r)
	}
	u.wedgeKey('\n')
	p, ok := u.screen.(*personScreen)
	if !ok || p.view.Text != "JXM:FIRST" {
		t.Fatalf("a wedge scan on the home screen opened %q", u.Current())
	}
	// The next person's code typed into the focused temperature entry replaces the screen.
	test.Type(p.temp, "JXM:SECOND")
	p.temp.OnSubmitted(p.temp.Text)
	if p2 := u.screen.(*personScreen); p2.view.Text != "JXM:SECOND" {
		t.Fatalf("scan into the temperature entry shows %q", p2.view.Text)
	}
}
