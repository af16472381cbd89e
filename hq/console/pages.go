package console

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/internal/httpx"
	"github.com/yongji-county/checkpoint/hq/internal/qrpng"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// maxForm bounds a form's body (the CSV import's is maxCSV).
const maxForm = 16 << 10

// pageData is what every page template gets as .Data.
type pageData struct {
	Page     string
	Nav      string // the nav's current item; "" hides the nav
	Op       Operator
	LoggedIn bool
	Notice   string // a string key
	Error    string // a string key
	Next     string
	Body     any // the page's own data
}

var notices = map[string]string{
	"expired": "notice_expired",
	"logout":  "notice_logout",
	"setup":   "notice_setup",
	"saved":   "notice_saved",
	"ended":   "notice_ended",
	"applied": "notice_applied",
	"revoked": "notice_revoked",
}

func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, d pageData) {
	if d.Notice == "" {
		d.Notice = notices[r.URL.Query().Get("done")]
	}
	d.LoggedIn = d.Op.Name != ""
	if err := h.pages.Render(w, r, status, d.Page, d); err != nil {
		h.log.Error("console: page", slog.String("page", d.Page), slog.Any("err", err))
	}
}

// fail answers a refused request with the error page.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, status int, key string) {
	op, _ := h.peekOperator(r)
	h.render(w, r, status, pageData{Page: "error", Nav: "none", Op: op, Error: key})
}

func (h *handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("console: internal error", slog.String("path", r.URL.Path), slog.Any("err", err))
	h.fail(w, r, http.StatusInternalServerError, "err_internal")
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.fail(w, r, http.StatusMethodNotAllowed, "err_method")
		return
	}
	h.fail(w, r, http.StatusNotFound, "err_not_found")
}

// localNext is a safe place to return to after logging in: a console path, else the overview.
func localNext(s string) string {
	if s == "" || len(s) > 200 || !strings.HasPrefix(s, Prefix) || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n") ||
		strings.HasPrefix(s, Prefix+"login") {
		return Prefix
	}
	return s
}

// form parses a urlencoded form of at most maxForm bytes.
func form(w http.ResponseWriter, r *http.Request, limit int64) bool {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(limit) == nil
	}
	return r.ParseForm() == nil
}

// Sessions.

func (h *handler) setSession(w http.ResponseWriter, tok string) {
	http.SetCookie(w, &http.Cookie{Name: h.cookie, Value: tok, Path: h.path, HttpOnly: true, Secure: h.cfg.Secure,
		SameSite: http.SameSiteStrictMode})
}

func (h *handler) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: h.cookie, Value: "", Path: h.path, MaxAge: -1, HttpOnly: true, Secure: h.cfg.Secure,
		SameSite: http.SameSiteStrictMode})
}

func (h *handler) token(r *http.Request) string {
	c, err := r.Cookie(h.cookie)
	if err != nil || c.Value == "" || len(c.Value) > maxTokenLen {
		return ""
	}
	return c.Value
}

// operator returns the logged-in operator (passive: without extending the session); a dead
// session's cookie is cleared.
func (h *handler) operator(w http.ResponseWriter, r *http.Request, passive bool) (Operator, bool) {
	tok := h.token(r)
	if tok == "" {
		return Operator{}, false
	}
	op, err := h.acc.session(r.Context(), tok, passive)
	if err != nil {
		if !errors.Is(err, ErrSession) {
			h.log.Error("console: session", slog.Any("err", err))
		}
		h.clearSession(w)
		return Operator{}, false
	}
	return op, true
}

// peekOperator is the operator for an error page or the login page, without extending the
// session.
func (h *handler) peekOperator(r *http.Request) (Operator, bool) {
	tok := h.token(r)
	if tok == "" {
		return Operator{}, false
	}
	op, err := h.acc.session(r.Context(), tok, true)
	return op, err == nil
}

// audit writes a console change to the audit log; a failure is logged (the change is made).
func (h *handler) audit(r *http.Request, op Operator, action, object string, before, after any) {
	e := sqldb.AuditEntry{At: h.cfg.Now(), Operator: op.Name, Role: string(op.Role), Action: action, Object: object,
		Before: hq.AuditJSON(before), After: hq.AuditJSON(after), ClientAddr: h.cfg.ClientIP(r)}
	if _, err := h.db.AppendAudit(r.Context(), e); err != nil {
		h.log.Error("console: audit log write failed", slog.String("action", action), slog.Any("err", err))
	}
}

// 登录.

type loginBody struct {
	Name       string
	RetryAfter int // minutes, for a locked name
}

func (h *handler) loginPage(w http.ResponseWriter, r *http.Request, _ Operator) {
	if _, ok := h.peekOperator(r); ok {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, pageData{Page: "login", Next: localNext(r.URL.Query().Get("next")), Body: loginBody{}})
}

func (h *handler) loginPost(w http.ResponseWriter, r *http.Request, _ Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	next := localNext(r.PostFormValue("next"))
	s, err := h.acc.login(r.Context(), name, r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("code")), h.cfg.ClientIP(r))
	var le *LoginError
	if errors.As(err, &le) {
		d := pageData{Page: "login", Next: next, Error: "err_login", Body: loginBody{Name: cutName(name)}}
		status := http.StatusUnauthorized
		if errors.Is(le, ErrLocked) {
			d.Error, status = "err_locked", http.StatusTooManyRequests
			d.Body = loginBody{Name: cutName(name), RetryAfter: int((le.RetryAfter + time.Minute - 1) / time.Minute)}
			w.Header().Set("Retry-After", strconv.Itoa(httpx.RetrySeconds(le.RetryAfter)))
		}
		h.log.Info("console: login refused", slog.String("reason", le.Err.Error()), slog.String("remote", h.cfg.ClientIP(r)))
		h.render(w, r, status, d)
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if old := h.token(r); old != "" {
		_ = h.acc.logout(r.Context(), old)
	}
	h.setSession(w, s.Token)
	h.audit(r, s.Operator, "operator.login", s.Operator.Name, nil, nil)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func cutName(s string) string {
	if len(s) > maxName {
		return s[:maxName]
	}
	return s
}

func (h *handler) logoutPost(w http.ResponseWriter, r *http.Request, op Operator) {
	if err := h.acc.logout(r.Context(), h.token(r)); err != nil {
		h.log.Warn("console: logout", slog.Any("err", err))
	}
	h.clearSession(w)
	http.Redirect(w, r, Prefix+"login?done=logout", http.StatusSeeOther)
}

// 设置账号: password and authenticator.

type setupBody struct {
	Token      string
	Name       string
	Role       Role
	Secret     string
	QR         template.URL // data: URI of the otpauth QR
	ValidUntil time.Time
}

func (h *handler) setupData(ctx context.Context, token string) (setupBody, error) {
	s, err := h.acc.setupFor(ctx, token)
	if err != nil {
		return setupBody{}, err
	}
	png, _, err := qrpng.Render(s.URL)
	if err != nil {
		return setupBody{}, err
	}
	return setupBody{Token: token, Name: s.Name, Role: s.Role, Secret: s.Secret, ValidUntil: s.ValidUntil,
		QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))}, nil
}

func (h *handler) setupPage(w http.ResponseWriter, r *http.Request, _ Operator) {
	b, err := h.setupData(r.Context(), r.URL.Query().Get("token"))
	if errors.Is(err, ErrSetupInvalid) {
		h.render(w, r, http.StatusNotFound, pageData{Page: "error", Nav: "none", Error: "err_setup"})
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, pageData{Page: "setup", Body: b})
}

func (h *handler) setupPost(w http.ResponseWriter, r *http.Request, _ Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	tok := r.PostFormValue("token")
	pw := r.PostFormValue("password")
	again := func(status int, key string) {
		b, err := h.setupData(r.Context(), tok)
		if err != nil {
			h.render(w, r, http.StatusNotFound, pageData{Page: "error", Nav: "none", Error: "err_setup"})
			return
		}
		h.render(w, r, status, pageData{Page: "setup", Body: b, Error: key})
	}
	if pw != r.PostFormValue("password2") {
		again(http.StatusBadRequest, "err_password_mismatch")
		return
	}
	op, err := h.acc.finishSetup(r.Context(), tok, pw, strings.TrimSpace(r.PostFormValue("code")))
	switch {
	case errors.Is(err, ErrSetupInvalid):
		h.render(w, r, http.StatusNotFound, pageData{Page: "error", Nav: "none", Error: "err_setup"})
		return
	case errors.Is(err, ErrPassword):
		again(http.StatusBadRequest, "err_password")
		return
	case errors.Is(err, ErrCodeWrong):
		again(http.StatusBadRequest, "err_code")
		return
	case err != nil:
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, "operator.setup", op.Name, nil, map[string]string{"role": string(op.Role), "totp": "enrolled"})
	http.Redirect(w, r, Prefix+"login?done=setup", http.StatusSeeOther)
}

// 总览.

// Overview is what 总览 shows and GET /admin/overview.json answers. Its numbers come from
// small tables only (overview.go): the kiosks' own reports (device_status), the day counters
// ingest keeps (day_counts), HQ's named counters and the held index.
type Overview struct {
	At               time.Time `json:"at"`
	Kiosks           int       `json:"kiosks"`
	KiosksActive     int       `json:"kiosks_active"`
	LastSync         time.Time `json:"last_sync,omitzero"`
	ChecksToday      int64     `json:"checks_today"`
	Checks           int64     `json:"checks"`
	Registrations    int64     `json:"registrations"`
	Rechecks         int64     `json:"rechecks"`
	Held             int64     `json:"held"`
	Rejected         int64     `json:"rejected"`
	Conflicts        int64     `json:"conflicts"`
	RejectedRequests int64     `json:"rejected_requests"`
	// KiosksOnline counts the active kiosks that pulled within OnlineWithin.
	KiosksOnline       int   `json:"kiosks_online"`
	TurnedBackToday    int64 `json:"turned_back_today"`
	ReviewToday        int64 `json:"review_today"`
	FeversToday        int64 `json:"fevers_today"`
	RegistrationsToday int64 `json:"registrations_today"`
	// Pending and Quarantined add up what the active kiosks reported (kiosks that report
	// nothing add nothing).
	Pending       int64 `json:"pending"`
	Quarantined   int64 `json:"quarantined"`
	RefusedKiosks int   `json:"refused_kiosks"` // active kiosks that have refused a dataset
	// Sites has one row per site with an active kiosk or a check today, in site id order.
	Sites   []OverviewSite   `json:"sites"`
	Devices []OverviewDevice `json:"devices"`
}

// OverviewSite is one site's row on 总览. Pending and Quarantined are nil when none of its
// kiosks reported them.
type OverviewSite struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	KiosksOnline int       `json:"kiosks_online"`
	Kiosks       int       `json:"kiosks"` // active kiosks
	LastSync     time.Time `json:"last_sync,omitzero"`
	Pending      *int64    `json:"pending"`
	Quarantined  *int64    `json:"quarantined"`
	ChecksToday  int64     `json:"checks_today"`
	TurnedBack   int64     `json:"turned_back_today"`
	Review       int64     `json:"review_today"`
	Fevers       int64     `json:"fevers_today"`
}

// OverviewDevice is one kiosk on 总览. LastSeen is its last config pull (or, before it ever
// reported, empty). The reported numbers are nil when the kiosk did not report them.
type OverviewDevice struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	SiteID      string    `json:"site_id"`
	Revoked     bool      `json:"revoked"`
	LastSeen    time.Time `json:"last_seen,omitzero"`
	Online      bool      `json:"online"`
	Pending     *int64    `json:"pending"`
	Quarantined *int64    `json:"quarantined"`
	Oldest      time.Time `json:"oldest_pending,omitzero"`
	Refused     *int64    `json:"refused"`
	Refusal     string    `json:"refusal,omitempty"`
	Version     string    `json:"version,omitempty"`
}

// overviewTTL is how long one computation of 总览 serves every operator.
const overviewTTL = 5 * time.Second

func (h *handler) overviewData(ctx context.Context) (Overview, error) {
	h.ovMu.Lock()
	defer h.ovMu.Unlock()
	if !h.ovAt.IsZero() && time.Since(h.ovAt) < overviewTTL {
		return h.ov, nil
	}
	o, err := h.computeOverview(ctx)
	if err != nil {
		return Overview{}, err
	}
	h.ov, h.ovAt = o, time.Now()
	return o, nil
}

func (h *handler) overview(w http.ResponseWriter, r *http.Request, op Operator) {
	o, err := h.overviewData(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, pageData{Page: "overview", Nav: "overview", Op: op, Body: o})
}

func (h *handler) overviewJSON(w http.ResponseWriter, r *http.Request, _ Operator) {
	o, err := h.overviewData(r.Context())
	if err != nil {
		h.log.Error("console: overview", slog.Any("err", err))
		httpx.WriteError(w, http.StatusInternalServerError, "internal", "服务器内部错误 / internal server error")
		return
	}
	httpx.WriteJSON(w, http.StatusOK, o)
}

// 审计日志.

// AuditPageSize is how many entries a page of 审计日志 shows.
const AuditPageSize = 50

type auditBody struct {
	Entries    []sqldb.AuditEntry
	Page       int
	Pages      int
	Total      int64
	Prev, Next int
}

func (h *handler) auditPage(w http.ResponseWriter, r *http.Request, op Operator) {
	pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if pg < 1 || pg > 1_000_000 {
		pg = 1
	}
	total, err := h.db.AuditCount(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	es, err := h.db.Audit(r.Context(), (pg-1)*AuditPageSize, AuditPageSize)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	pages := int((total + AuditPageSize - 1) / AuditPageSize)
	if pages == 0 {
		pages = 1
	}
	b := auditBody{Entries: es, Page: pg, Pages: pages, Total: total}
	if pg > 1 {
		b.Prev = pg - 1
	}
	if pg < pages {
		b.Next = pg + 1
	}
	h.render(w, r, http.StatusOK, pageData{Page: "audit", Nav: "audit", Op: op, Body: b})
}

// csvCell keeps a spreadsheet from reading a cell as a formula.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (h *handler) auditCSV(w http.ResponseWriter, r *http.Request, op Operator) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // so spreadsheet programs read UTF-8
	cw := csv.NewWriter(&buf)
	cw.Write([]string{"id", "at", "operator", "role", "action", "object", "before", "after", "client_addr"})
	err := h.db.AuditEach(r.Context(), func(e sqldb.AuditEntry) error {
		return cw.Write([]string{e.ID, e.At.UTC().Format(time.RFC3339Nano), csvCell(e.Operator), csvCell(e.Role), csvCell(e.Action),
			csvCell(e.Object), csvCell(e.Before), csvCell(e.After), csvCell(e.ClientAddr)})
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="audit-%s.csv"`, h.cfg.Now().In(checkpoint.ChinaTime).Format("20060102-150405")))
	w.Write(buf.Bytes())
}
