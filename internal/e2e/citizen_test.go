package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	hqdemo "github.com/yongji-county/checkpoint/hq/demo"
	"github.com/yongji-county/checkpoint/hq/server"
	"github.com/yongji-county/checkpoint/hq/sms"
	"github.com/yongji-county/checkpoint/scanner"
	"github.com/yongji-county/checkpoint/station"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

const citizenAdminToken = "e2e-citizen-admin-token-0123456789-ABCDEFGHIJKLMNOPQRSTUV"

// citizenHQ is the real HQ with 吉事办 on (the citizen pages and their API, a demo SMS outbox),
// seeded with the demo county, serving on a loopback port.
type citizenHQ struct {
	url    string
	outbox *sms.Outbox
	info   hqdemo.Info
}

// citizenSetup brings up HQ (with the live-code TTL at its 1-minute minimum) and then an enrolled
// kiosk in the background, while the browser starts. Its fields are set before hqUp and done
// close; close releases everything.
type citizenSetup struct {
	hqUp, done chan struct{}
	h          *citizenHQ
	st         *station.Station
	sess       station.Session
	err        error
	closers    []func() error
}

func startCitizenSetup(dsn string, log *slog.Logger) *citizenSetup {
	s := &citizenSetup{hqUp: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.h, s.err = s.startHQ(dsn, log)
		close(s.hqUp)
		if s.err == nil {
			s.err = s.enrollKiosk(log)
		}
	}()
	return s
}

// hq waits for HQ; kiosk waits for the kiosk too.
func (s *citizenSetup) hq(t *testing.T) *citizenHQ {
	t.Helper()
	<-s.hqUp
	if s.h == nil {
		t.Fatalf("HQ: %v", s.err)
	}
	return s.h
}

func (s *citizenSetup) kiosk(t *testing.T) (*station.Station, station.Session) {
	t.Helper()
	<-s.done
	if s.err != nil {
		t.Fatalf("kiosk: %v", s.err)
	}
	return s.st, s.sess
}

// close waits for the setup to end and undoes it, last first.
func (s *citizenSetup) close() error {
	<-s.done
	var first error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (s *citizenSetup) startHQ(dsn string, log *slog.Logger) (*citizenHQ, error) {
	root, err := checkpoint.GenerateRootKey()
	if err != nil {
		return nil, err
	}
	outbox := sms.NewOutbox()
	srv, err := server.New(server.Config{
		Config:  hq.Config{DSN: dsn, AdminToken: citizenAdminToken, RootKey: root, ClientRate: 1e6, ClientBurst: 1e6, Logger: log},
		Citizen: &server.Citizen{Outbox: outbox},
	})
	if err != nil {
		return nil, fmt.Errorf("server.New: %w", err)
	}
	s.closers = append(s.closers, srv.Close)
	info, err := hqdemo.Seed(context.Background(), srv.Core())
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	// The shortest live code the rules allow, so that the page's refresh shows within the test.
	b, _ := json.Marshal(hq.SettingsRequest{Rules: &checkpoint.Config{LiveTTL: time.Minute}})
	req := httptest.NewRequest(http.MethodPut, "/api/v1/admin/settings", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+citizenAdminToken)
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("PUT /api/v1/admin/settings: HTTP %d %s", rec.Code, rec.Body)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }() // ends at cancel
	s.closers = append(s.closers, func() error { cancel(); return <-served })
	return &citizenHQ{url: "http://" + ln.Addr().String(), outbox: outbox, info: info}, nil
}

// enrollKiosk enrolls a fresh kiosk store with HQ, pulls its data (trust list, roster, rules)
// and logs the demo scanner in at a station over it.
func (s *citizenSetup) enrollKiosk(log *slog.Logger) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "checkpoint-e2e-kiosk-")
	if err != nil {
		return err
	}
	s.closers = append(s.closers, func() error { return os.RemoveAll(dir) })
	db, err := store.OpenDir(ctx, dir)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, db.Close)
	client := sync.New(db, sync.Config{DeviceName: "e2e-citizen", Logger: log})
	if _, err := client.Enroll(ctx, s.h.url, s.h.info.EnrollmentCode); err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	if _, err := client.Sync(ctx); err != nil {
		return fmt.Errorf("first sync: %w", err)
	}
	s.st = station.New(station.Config{DB: db, Sync: client, Logger: log})
	for _, l := range s.h.info.Logins {
		if l.Role == checkpoint.RoleScanner {
			if s.sess, err = s.st.Login(ctx, l.Phone, l.Password); err != nil {
				return fmt.Errorf("login: %w", err)
			}
			return nil
		}
	}
	return errors.New("the demo county has no scanner")
}

// call makes a JSON request to HQ and decodes a 2xx answer into out.
func (h *citizenHQ) call(t *testing.T, method, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, h.url+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var e struct{ Error, Message string }
		json.NewDecoder(resp.Body).Decode(&e)
		t.Fatalf("%s %s: HTTP %d %s %s", method, path, resp.StatusCode, e.Error, e.Message)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
}

// testResidentID is a valid 18-character ID number (GB 11643) of a region, a birth date
// (YYYYMMDD) and a 3-digit sequence.
func testResidentID(region, birth string, seq int) string {
	base := region + birth + fmt.Sprintf("%03d", seq)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(base[i]-'0') * w
	}
	return base + string("10X98765432"[sum%11])
}

// decodeQR reads the one QR code of a PNG with the kiosk's scanner (the pure-Go cascade).
func decodeQR(t *testing.T, png []byte, what string) string {
	t.Helper()
	g, err := scanner.DecodeImage(bytes.NewReader(png))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	dec, err := scanner.NewDefaultDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	rs, err := dec.Decode(g)
	if err != nil || len(rs) == 0 {
		t.Fatalf("%s: the scanner reads no QR code (%v)", what, err)
	}
	return rs[0].Text
}

// TestCitizenRegistersAndPassesKiosk is the citizen pages' acceptance test, through the real HQ
// (SQLite, and PostgreSQL when configured) in a real headless Chromium at phone size: a new
// citizen registers in the guide's three steps with the code from the demo SMS outbox, logs
// out and in again, opens 查看吉祥码; the QR read from a screenshot by the kiosk's scanner
// passes an enrolled kiosk (通行, the citizen's masked name). The page fetches a new code before
// the first one expires, without a reload. A second registration with the same phone, and one
// with the same ID number and another phone, are refused next to the field concerned.
func TestCitizenRegistersAndPassesKiosk(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			citizenFlow(t, b.Name, b.DSN(t))
		})
	}
}

func citizenFlow(t *testing.T, backend, dsn string) {
	start := time.Now()
	setup := startCitizenSetup(dsn, testLogger(t))
	t.Cleanup(func() {
		if err := setup.close(); err != nil {
			t.Errorf("closing HQ and the kiosk: %v", err)
		}
	})
	ctx := newBrowser(t)
	h := setup.hq(t)
	dir := t.TempDir()
	u := h.url

	const (
		phone    = "13912345601"
		phone2   = "13912345602"
		name     = "刘建华"
		password = "Spring2022ok"
	)
	id := testResidentID("220221", "19880808", 123)
	masked := checkpoint.MaskName(name)

	do := func(tab context.Context, what string, a ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(tab, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(c, a...); err != nil {
			t.Fatalf("%s: %v (page: %s)", what, err, failShot(tab, dir))
		}
	}
	text := func(tab context.Context, sel string) string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	wantText := func(tab context.Context, sel, want string) {
		t.Helper()
		if got := text(tab, sel); !strings.Contains(got, want) {
			t.Errorf("%s says %q; want %q", sel, got, want)
		}
	}
	eval := func(tab context.Context, js string) string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return s
	}
	poll := func(tab context.Context, what, js string, d time.Duration) {
		t.Helper()
		if _, err := chromedp.Run(tab, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(d))); err != nil {
			t.Fatalf("wait for %s: %v (page: %s)", what, err, failShot(tab, dir))
		}
	}
	// pageQR decodes the QR the code page shows, from its <img>'s data: URI.
	pageQR := func(what string) string {
		t.Helper()
		src := eval(ctx, `document.getElementById('qr').src`)
		b64, ok := strings.CutPrefix(src, "data:image/png;base64,")
		if !ok {
			t.Fatalf("%s: the QR's src is %.40q…; want a PNG data: URI", what, src)
		}
		png, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return decodeQR(t, png, what)
	}

	// 首页 → 立即注册. Step 1: phone, 获取验证码, the code from the demo SMS link.
	do(ctx, "open 首页", chromedp.Navigate(u+"/"), chromedp.WaitVisible(chromedp.CSS("#view-code")))
	do(ctx, "立即注册", chromedp.Click(chromedp.CSS(`.links a[href="/register"]`)), chromedp.WaitVisible(chromedp.CSS("#register-form")))
	do(ctx, "获取验证码", chromedp.SendKeys(chromedp.CSS("#phone"), phone), chromedp.Click(chromedp.CSS(".sms-btn")),
		chromedp.WaitVisible(chromedp.CSS(".sms-sent")))
	do(ctx, "演示短信", chromedp.Click(chromedp.CSS(".demo-sms")), chromedp.WaitVisible(chromedp.CSS(".demo-out li")))
	code := eval(ctx, `document.querySelector('.demo-out li').dataset.code`)
	var dev struct {
		Messages []struct{ Code, Purpose, Text string }
	}
	h.call(t, http.MethodGet, "/api/v1/dev/sms?phone="+url.QueryEscape(phone), &dev)
	if len(dev.Messages) != 1 || dev.Messages[0].Code != code || dev.Messages[0].Purpose != string(sms.PurposeRegister) || len(code) != 6 {
		t.Fatalf("the page's demo SMS shows code %q; GET /api/v1/dev/sms has %+v", code, dev.Messages)
	}
	wantText(ctx, ".demo-out li", code)
	screenshot(t, ctx, dir, backend+"-register-1")
	do(ctx, "step 1", chromedp.SendKeys(chromedp.CSS("#sms_code"), code), chromedp.Click(chromedp.CSS(`.step[data-step="1"] .next`)),
		chromedp.WaitVisible(chromedp.CSS(`.step[data-step="2"]`)))
	// Step 2: the password twice. Step 3: name and ID number, 注册.
	do(ctx, "step 2", chromedp.SendKeys(chromedp.CSS("#password"), password), chromedp.SendKeys(chromedp.CSS("#password2"), password),
		chromedp.Click(chromedp.CSS(`.step[data-step="2"] .next`)), chromedp.WaitVisible(chromedp.CSS(`.step[data-step="3"]`)))
	do(ctx, "step 3", chromedp.SendKeys(chromedp.CSS("#name"), name), chromedp.SendKeys(chromedp.CSS("#id_number"), id))
	screenshot(t, ctx, dir, backend+"-register-3")
	do(ctx, "注册", chromedp.Click(chromedp.CSS(`.step[data-step="3"] [type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	wantText(ctx, ".notice", "注册成功")
	wantText(ctx, ".tile-sub", masked)

	// 我的 → 退出登录, then 去登录 with phone and password.
	do(ctx, "我的", chromedp.Click(chromedp.CSS(`.tabs a[href="/me"]`)), chromedp.WaitVisible(chromedp.CSS("#logout")))
	wantText(ctx, ".who-phone", "139****5601")
	do(ctx, "退出登录", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	wantText(ctx, ".notice", "已退出登录")
	wantText(ctx, ".tile-sub", "登录后查看")
	do(ctx, "去登录", chromedp.Click(chromedp.CSS(`main a.btn.primary[href="/login"]`)), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	do(ctx, "登录", chromedp.SendKeys(chromedp.CSS("#phone"), phone), chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`#login-form [type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#view-code")))
	if loc := eval(ctx, `location.pathname`); loc != "/" {
		t.Errorf("after 登录 at %q; want 首页", loc)
	}
	wantText(ctx, ".tile-sub", masked)

	// 查看吉祥码: the QR, read from a screenshot with the kiosk's scanner.
	do(ctx, "查看吉祥码", chromedp.Click(chromedp.CSS("#view-code")), chromedp.WaitVisible(chromedp.CSS("#code-page")))
	poll(ctx, "the QR", `(function(){var i=document.getElementById('qr'); return !i.hidden && i.complete && i.naturalWidth > 0})()`, 15*time.Second)
	do(ctx, "settle", chromedp.Sleep(300*time.Millisecond))
	wantText(ctx, "#status-text", "绿码")
	wantText(ctx, "#who-name", masked)
	first := decodeQR(t, screenshot(t, ctx, dir, backend+"-code"), "the code page's screenshot")
	if dom := pageQR("the first QR"); dom != first {
		t.Fatalf("the screenshot's QR reads %q; the page's image %q", first, dom)
	}
	eval(ctx, `window.e2eFirstQR = document.getElementById('qr').src; window.e2eNoReload = 'yes'; ''`)

	st, sess := setup.kiosk(t)
	// An enrolled kiosk scans it: valid, confirmed live with HQ, 通行 at 36.5 ℃, the masked name.
	v := st.Scan(context.Background(), sess, first)
	if !v.Valid || !v.Online || v.Status != "green" || v.Kind != string(checkpoint.KindLive) {
		t.Fatalf("kiosk scan: valid %v online %v status %q kind %q (%s: %v)", v.Valid, v.Online, v.Status, v.Kind, v.ErrorKind, v.CodeErr)
	}
	if got := checkpoint.MaskName(v.Name); got != masked || v.IDMasked != "220221********"+id[14:] {
		t.Errorf("kiosk shows %q, %q; want %q, the masked ID", got, v.IDMasked, masked)
	}
	d, err := st.Confirm(context.Background(), sess, v, "36.5", false)
	if err != nil || d.Verdict != string(checkpoint.OutcomePass) || checkpoint.Outcome(d.Verdict).Label().ZH != "通行" {
		t.Fatalf("kiosk verdict %+v, %v; want pass (通行)", d, err)
	}
	rows, _, err := st.QueryLog(context.Background(), sess, station.LogFilter{Limit: 5})
	if err != nil || len(rows) != 1 || rows[0].Name != masked || rows[0].Verdict != string(checkpoint.OutcomePass) {
		t.Errorf("kiosk log %+v, %v; want one pass of %q", rows, err, masked)
	}
	firstExpiry := v.ExpiresAt
	if life := time.Until(firstExpiry); life <= 0 || life > time.Minute+time.Second {
		t.Fatalf("the first code expires in %v; want within the 1 min live TTL", life)
	}

	// Meanwhile, on another phone: the same phone again, then the same ID number with another phone.
	other := newPhone(t, ctx)
	do(other, "注册 again", chromedp.Navigate(u+"/register"), chromedp.WaitVisible(chromedp.CSS("#register-form")))
	do(other, "same phone", chromedp.SendKeys(chromedp.CSS("#phone"), phone), chromedp.SendKeys(chromedp.CSS("#sms_code"), "123456"),
		chromedp.Click(chromedp.CSS(`.step[data-step="1"] .next`)),
		chromedp.SendKeys(chromedp.CSS("#password"), password), chromedp.SendKeys(chromedp.CSS("#password2"), password),
		chromedp.Click(chromedp.CSS(`.step[data-step="2"] .next`)),
		chromedp.SendKeys(chromedp.CSS("#name"), "王小红"), chromedp.SendKeys(chromedp.CSS("#id_number"), testResidentID("220221", "19950505", 456)),
		chromedp.Click(chromedp.CSS(`.step[data-step="3"] [type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#phone-err")))
	wantText(other, "#phone-err", "该手机号已注册")
	if s := eval(other, `document.querySelector('.step[data-step="1"]').hidden ? 'hidden' : 'shown'`); s != "shown" {
		t.Errorf("after 该手机号已注册 step 1 is %s; want it shown, with the phone field", s)
	}
	screenshot(t, other, dir, backend+"-phone-taken")
	do(other, "same ID", clearField("phone"), chromedp.SendKeys(chromedp.CSS("#phone"), phone2),
		chromedp.Click(chromedp.CSS(`.step[data-step="1"] .next`)), chromedp.Click(chromedp.CSS(`.step[data-step="2"] .next`)),
		clearField("id_number"), chromedp.SendKeys(chromedp.CSS("#id_number"), id),
		chromedp.Click(chromedp.CSS(`.step[data-step="3"] [type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#id_number-err")))
	wantText(other, "#id_number-err", "该身份证号码已注册")
	if e := text(other, "#phone-err"); e != "" {
		t.Errorf("with another phone, the phone field still says %q", e)
	}
	screenshot(t, other, dir, backend+"-id-taken")

	// Back on the first phone: a new code before the first one expires, with no reload.
	poll(ctx, "a new QR", `document.getElementById('qr').src !== window.e2eFirstQR`, time.Until(firstExpiry))
	changed := time.Now()
	if !changed.Before(firstExpiry) {
		t.Errorf("the QR changed at %v, after the first code expired at %v", changed, firstExpiry)
	}
	if s := eval(ctx, `window.e2eNoReload || 'reloaded'`); s != "yes" {
		t.Errorf("the code page was reloaded to show the new code")
	}
	second := pageQR("the refreshed QR")
	if second == first {
		t.Fatal("the refreshed QR holds the same code")
	}
	if s := eval(ctx, `document.getElementById('code-page').className`); strings.Contains(s, "stale") {
		t.Errorf("code page %q after the refresh; want it not greyed out", s)
	}
	v2 := st.Scan(context.Background(), sess, second)
	if !v2.Valid || v2.CodeID == v.CodeID || !v2.ExpiresAt.After(firstExpiry) {
		t.Errorf("the refreshed code at the kiosk: valid %v (%s), code id %s (first %s), expires %v (first %v)",
			v2.Valid, v2.ErrorKind, v2.CodeID, v.CodeID, v2.ExpiresAt, firstExpiry)
	}
	screenshot(t, ctx, dir, backend+"-code-refreshed")
	t.Logf("new code %v before the first expired; whole flow %v; screenshots in %s",
		firstExpiry.Sub(changed).Round(time.Second), time.Since(start).Round(time.Second), dir)
}

// failShot saves what tab shows as failed.png in dir, and says where (or why not).
func failShot(tab context.Context, dir string) string {
	b, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "failed.png"), b, 0o644)
	}
	if err != nil {
		return "no screenshot: " + err.Error()
	}
	return filepath.Join(dir, "failed.png")
}

// clearField empties the input with that id, as a user selecting all and deleting would.
func clearField(id string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool]("(function(){var e=document.getElementById('"+id+"'); e.value=''; e.focus(); return true})()")(ctx, t)
		return chromedp.Void{}, err
	}
}
