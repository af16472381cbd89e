package web

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/yongji-county/checkpoint/hq/internal/qrpng"
)

// TestBrowserCitizenFlow drives the pages in a real headless Chromium at phone size: register in
// the guide's three steps (with the prompts of empty and wrong fields, and a server-side error
// of step 1 taking the user back there), land logged in on 首页, show the live 吉祥码 and read
// its QR back from a screenshot, see it turn red, grey out when the session ends, log in again,
// log out, reset the password, and the English pages.
func TestBrowserCitizenFlow(t *testing.T) {
	e := newEnv(t, nil)
	ctx := newBrowser(t)
	dir := t.TempDir()
	u := e.srv.URL
	do := func(what string, a ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(c, a...); err != nil {
			screenshot(t, ctx, dir, "failed")
			t.Fatalf("%s: %v (page: %s)", what, err, dir+"/failed.png")
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	wantText := func(sel, want string) {
		t.Helper()
		if got := text(sel); !strings.Contains(got, want) {
			t.Errorf("%s says %q; want %q", sel, got, want)
		}
	}
	poll := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			t.Fatalf("wait for %s: %v", what, err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return s
	}

	// 我的 → 登录 → 没有账号？立即注册.
	do("open 首页", chromedp.Navigate(u+"/"), chromedp.WaitVisible(chromedp.CSS("#view-code")))
	do("我的", chromedp.Click(chromedp.CSS(`.tabs a[href="/me"]`)), chromedp.WaitVisible(chromedp.CSS("#me-login")))
	do("登录", chromedp.Click(chromedp.CSS("#me-login")), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	screenshot(t, ctx, dir, "login")
	do("立即注册", chromedp.Click(chromedp.CSS(`a[href="/register"]`)), chromedp.WaitVisible(chromedp.CSS("#register-form")))

	// Step 1: an empty phone does not go on; then 获取验证码 counts down; an empty code does not go on.
	do("下一步 empty", chromedp.Click(chromedp.CSS(`.step[data-step="1"] .next`)), chromedp.WaitVisible(chromedp.CSS("#phone-err")))
	wantText("#phone-err", "请输入手机号")
	do("phone", chromedp.SendKeys(chromedp.CSS("#phone"), testPhone), chromedp.Click(chromedp.CSS(".sms-btn")), chromedp.WaitVisible(chromedp.CSS(".sms-sent")))
	poll("countdown", `/秒后重新获取$/.test(document.querySelector('.sms-btn').textContent) && document.querySelector('.sms-btn').disabled`)
	do("demo SMS", chromedp.Click(chromedp.CSS(".demo-sms")), chromedp.WaitVisible(chromedp.CSS(".demo-out li")))
	code := eval(`document.querySelector('.demo-out li').dataset.code`)
	if code == "" || code != e.fake.lastCode(testPhone) {
		t.Fatalf("demo outbox shows code %q; the fake sent %q", code, e.fake.lastCode(testPhone))
	}
	wantText(".demo-out li", code)
	do("下一步 no code", chromedp.Click(chromedp.CSS(`.step[data-step="1"] .next`)), chromedp.WaitVisible(chromedp.CSS("#sms_code-err")))
	wantText("#sms_code-err", "请输入验证码")
	screenshot(t, ctx, dir, "register-1")
	// A wrong code goes on for now: only the server can tell, at 注册.
	do("wrong code", chromedp.SendKeys(chromedp.CSS("#sms_code"), "000000"), chromedp.Click(chromedp.CSS(`.step[data-step="1"] .next`)),
		chromedp.WaitVisible(chromedp.CSS(`.step[data-step="2"]`)))

	// Step 2: the confirmation must match.
	do("passwords", chromedp.SendKeys(chromedp.CSS("#password"), "correct horse"), chromedp.SendKeys(chromedp.CSS("#password2"), "correct hors"),
		chromedp.Click(chromedp.CSS(`.step[data-step="2"] .next`)), chromedp.WaitVisible(chromedp.CSS("#password2-err")))
	wantText("#password2-err", "两次输入的密码不一致")
	screenshot(t, ctx, dir, "register-2")
	do("fix password", chromedp.SendKeys(chromedp.CSS("#password2"), "e"), chromedp.Click(chromedp.CSS(`.step[data-step="2"] .next`)),
		chromedp.WaitVisible(chromedp.CSS(`.step[data-step="3"]`)))

	// Step 3: the server refuses the ID number; the prompt is next to it.
	do("identity", chromedp.SendKeys(chromedp.CSS("#name"), "张三丰"), chromedp.SendKeys(chromedp.CSS("#id_number"), testID[:17]),
		chromedp.Click(chromedp.CSS(`.step[data-step="3"] [type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#id_number-err")))
	wantText("#id_number-err", "身份证号码不正确")
	screenshot(t, ctx, dir, "register-3")
	// Now the server refuses the step-1 code: back to step 1, the prompt at the code, nothing typed lost.
	do("fix id", chromedp.SendKeys(chromedp.CSS("#id_number"), testID[17:]), chromedp.Click(chromedp.CSS(`.step[data-step="3"] [type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#sms_code-err")))
	wantText("#sms_code-err", "验证码错误")
	if v := eval(`document.getElementById('phone').value + '|' + document.getElementById('password').value + '|' + document.getElementById('id_number').value`); v != testPhone+"|correct horse|"+testID {
		t.Errorf("typed values after the error: %q", v)
	}
	do("right code", clearField("sms_code"), chromedp.SendKeys(chromedp.CSS("#sms_code"), code),
		chromedp.Click(chromedp.CSS(`.step[data-step="1"] .next`)), chromedp.Click(chromedp.CSS(`.step[data-step="2"] .next`)),
		chromedp.Click(chromedp.CSS(`.step[data-step="3"] [type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".notice")))

	// 注册 → logged in → 首页.
	if loc := eval(`location.pathname`); loc != "/" {
		t.Errorf("after 注册 at %q; want /", loc)
	}
	wantText(".notice", "注册成功")
	wantText(".tile-sub", "张**")
	screenshot(t, ctx, dir, "home")

	// 查看吉祥码: the QR, 绿码, the masked ID, the household by name.
	do("查看吉祥码", chromedp.Click(chromedp.CSS("#view-code")), chromedp.WaitVisible(chromedp.CSS("#code-page")))
	poll("the QR", `(function(){var i=document.getElementById('qr'); return !i.hidden && i.complete && i.naturalWidth > 0})()`)
	do("settle", chromedp.Sleep(300*time.Millisecond))
	wantText("#status-text", "绿码")
	wantText("#who-id", "220221********1234")
	wantText("#who-household", "吉林省吉林市永吉县")
	poll("the clock", `/\d\d:\d\d:\d\d$/.test(document.getElementById('clock').textContent)`)
	if u := text("#updated"); len(u) != 8 {
		t.Errorf("更新于 %q", u)
	}
	// Whole device pixels per module.
	mod, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById('qr').getBoundingClientRect().width * devicePixelRatio`))
	if err != nil {
		t.Fatal(err)
	}
	shot := screenshot(t, ctx, dir, "code-green")
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	e.fake.mu.Lock()
	issued := e.fake.issued
	e.fake.mu.Unlock()
	if err != nil || res.GetText() != issued {
		t.Errorf("the screenshot's QR reads %v, %v; want %q", res, err, issued)
	}
	modules := 0
	if res != nil {
		_, n, _ := qrpng.Render(issued)
		modules = n
	}
	if modules > 0 {
		if k := mod / float64(modules); k != math.Trunc(k) || k < 4 {
			t.Errorf("QR at %.2f device pixels per module; want a whole number ≥ 4", k)
		}
	}

	// The colour changes at HQ: the next fetch shows 红码, with its reason.
	e.fake.setStatus(testPhone, "red")
	do("refresh", chromedp.Click(chromedp.CSS("#refresh")))
	poll("红码", `document.getElementById('status-text').textContent === '红码'`)
	wantText("#reason", "高风险")
	do("settle", chromedp.Sleep(300*time.Millisecond))
	screenshot(t, ctx, dir, "code-red")

	// Offline: the code still valid stays, with a warning; once expired it greys out; back online,
	// the next retry brings a fresh one.
	e.fake.mu.Lock()
	e.fake.life = 4 * time.Second
	e.fake.mu.Unlock()
	eval(`window.oldQR = document.getElementById('qr').src; ''`)
	do("short-lived code", chromedp.Click(chromedp.CSS("#refresh")))
	poll("the short code", `document.getElementById('qr').src !== window.oldQR`)
	e.down.Store(true)
	do("refresh offline", chromedp.Click(chromedp.CSS("#refresh")), chromedp.WaitVisible(chromedp.CSS("#warn")))
	wantText("#warn", "无法更新，请检查网络")
	if c := eval(`document.getElementById('code-page').className`); strings.Contains(c, "stale") {
		t.Error("a code still valid greyed out at the first failed refresh")
	}
	do("expiry offline", chromedp.WaitVisible(chromedp.CSS("#qr-overlay")))
	wantText("#qr-msg", "二维码已过期")
	do("settle", chromedp.Sleep(500*time.Millisecond))
	screenshot(t, ctx, dir, "code-offline")
	e.fake.mu.Lock()
	e.fake.life = 0
	e.fake.mu.Unlock()
	e.down.Store(false)
	do("back online", chromedp.WaitNotVisible(chromedp.CSS("#qr-overlay")))

	// The session ends: the code greys out and says why.
	e.fake.endSessions()
	do("refresh", chromedp.Click(chromedp.CSS("#refresh")), chromedp.WaitVisible(chromedp.CSS("#qr-overlay")))
	wantText("#qr-msg", "登录已过期，请重新登录")
	if c := eval(`document.getElementById('code-page').className`); !strings.Contains(c, "stale") {
		t.Errorf("code page class %q; want stale", c)
	}
	do("settle", chromedp.Sleep(500*time.Millisecond))
	screenshot(t, ctx, dir, "code-expired")

	// 去登录 comes back to the code.
	do("去登录", chromedp.Click(chromedp.CSS("#relogin")), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	do("wrong password", chromedp.SendKeys(chromedp.CSS("#phone"), testPhone), chromedp.SendKeys(chromedp.CSS("#password"), "wrong"),
		chromedp.Click(chromedp.CSS(`#login-form [type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#form-err")))
	wantText("#form-err", "手机号或密码错误")
	do("login", clearField("password"), chromedp.SendKeys(chromedp.CSS("#password"), "correct horse"),
		chromedp.Click(chromedp.CSS(`#login-form [type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#code-page")))
	poll("the QR again", `!document.getElementById('qr').hidden`)

	// 我的 → 退出登录.
	do("我的", chromedp.Navigate(u+"/me"), chromedp.WaitVisible(chromedp.CSS("#logout")))
	wantText(".who-phone", "138****8000")
	screenshot(t, ctx, dir, "me")
	do("退出登录", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	wantText(".notice", "已退出登录")
	wantText(".tile-sub", "登录后查看")

	// 忘记密码.
	e.fake.mu.Lock()
	e.fake.now = func() time.Time { return time.Now().Add(2 * time.Minute) } // past the SMS interval
	e.fake.mu.Unlock()
	do("忘记密码", chromedp.Navigate(u+"/login"), chromedp.Click(chromedp.CSS(`a[href="/reset"]`)), chromedp.WaitVisible(chromedp.CSS("#reset-form")),
		chromedp.SendKeys(chromedp.CSS("#phone"), testPhone), chromedp.Click(chromedp.CSS(".sms-btn")), chromedp.WaitVisible(chromedp.CSS(".sms-sent")),
		chromedp.Click(chromedp.CSS(".demo-sms")), chromedp.WaitVisible(chromedp.CSS(".demo-out li")))
	do("reset code", chromedp.SendKeys(chromedp.CSS("#sms_code"), e.fake.lastCode(testPhone)), chromedp.SendKeys(chromedp.CSS("#password"), "new password"))
	screenshot(t, ctx, dir, "reset")
	do("重置密码", chromedp.SendKeys(chromedp.CSS("#password2"), "new password"), chromedp.Click(chromedp.CSS(`#reset-form [type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	wantText(".notice", "密码已重置")
	if _, err := e.fake.Login(t.Context(), testPhone, "new password", ""); err != nil {
		t.Errorf("login with the reset password: %v", err)
	}

	// English, remembered from one page to the next.
	do("English", chromedp.Navigate(u+"/login?lang=en"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	wantText(`a[href="/register"]`, "No account? Register now")
	screenshot(t, ctx, dir, "login-en")
	do("English register", chromedp.Click(chromedp.CSS(`a[href="/register"]`)), chromedp.WaitVisible(chromedp.CSS("#register-form")))
	wantText(`.step[data-step="1"] .next`, "Next")

	// Nothing overflows a 360-px-wide phone on any page.
	do("narrow phone", chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, p := range []string{"/", "/me", "/login", "/register", "/reset"} {
		do("open "+p, chromedp.Navigate(u+p), chromedp.WaitReady(chromedp.CSS("body")))
		if w := eval(`String(document.documentElement.scrollWidth)`); w != "360" {
			t.Errorf("%s is %s px wide; want 360", p, w)
		}
	}
	t.Logf("screenshots in %s", dir)
}

// clearField empties the input with that id, as a user selecting all and deleting would.
func clearField(id string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool]("(function(){var e=document.getElementById('"+id+"'); e.value=''; e.focus(); return true})()")(ctx, t)
		return chromedp.Void{}, err
	}
}
