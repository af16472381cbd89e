package web

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/yongji-county/checkpoint/hq/citizen"
)

// pageData is what every page template gets as .Data.
type pageData struct {
	Page     string // the page's name: body data-page, picks its script
	Tab      string // the tab bar's current tab: "home" or "me"; "" hides the tab bar
	Demo     bool
	LoggedIn bool
	Account  citizen.Account
	Next     string // where to go after logging in
	Notice   string // a string key shown as a notice at the top, or ""
}

// notices are the notices a page shows from ?done=.
var notices = map[string]string{
	"registered": "notice_registered",
	"reset":      "notice_reset",
	"logout":     "notice_logout",
	"expired":    "notice_expired",
}

func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, d pageData) {
	d.Demo = h.cfg.Demo
	if d.Notice == "" {
		d.Notice = notices[r.URL.Query().Get("done")]
	}
	if err := h.pages.Render(w, r, status, d.Page, d); err != nil {
		h.log.Error("web: page", slog.String("page", d.Page), slog.Any("err", err))
	}
}

// localNext is a safe place to return to after logging in: a path on this site, else "/".
func localNext(s string) string {
	if s == "" || len(s) > 200 || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n") {
		return "/"
	}
	return s
}

// home is 首页: 查看吉祥码.
func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	acct, ok := h.account(w, r)
	h.render(w, r, http.StatusOK, pageData{Page: "home", Tab: "home", LoggedIn: ok, Account: acct})
}

// me is 我的: 登录, or the account and 退出登录.
func (h *handler) me(w http.ResponseWriter, r *http.Request) {
	acct, ok := h.account(w, r)
	h.render(w, r, http.StatusOK, pageData{Page: "me", Tab: "me", LoggedIn: ok, Account: acct})
}

// login is 登录: phone and password.
func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, pageData{Page: "login", Next: localNext(r.URL.Query().Get("next"))})
}

// register is 注册 in the guide's three steps.
func (h *handler) register(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, pageData{Page: "register"})
}

// reset is 忘记密码: a new password after an SMS code.
func (h *handler) reset(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, pageData{Page: "reset"})
}

// code is 查看吉祥码; its script fetches the live code and keeps it fresh.
func (h *handler) code(w http.ResponseWriter, r *http.Request) {
	acct, ok := h.account(w, r)
	if !ok {
		http.Redirect(w, r, "/login?next=/code", http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, pageData{Page: "code", LoggedIn: true, Account: acct})
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, errorBody{Error: "method_not_allowed", Message: "不支持的请求方法 / method not allowed"})
		return
	}
	h.render(w, r, http.StatusNotFound, pageData{Page: "notfound", Tab: "home"})
}
