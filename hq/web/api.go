package web

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/yongji-county/checkpoint/hq/citizen"
	"github.com/yongji-county/checkpoint/hq/sms"
)

// coreError answers an error of the citizen core: a *citizen.Error by its Kind, anything else
// as 500 (logged without personal data: the core's errors carry none).
func (h *handler) coreError(w http.ResponseWriter, r *http.Request, op string, err error) {
	var ce *citizen.Error
	if !errors.As(err, &ce) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			writeError(w, http.StatusServiceUnavailable, errorBody{Error: "unavailable", Message: "服务繁忙，请稍后重试 / busy, try again later"})
			return
		}
		h.log.Error("web: "+op, slog.Any("err", err))
		writeError(w, http.StatusInternalServerError, errorBody{Error: "internal", Message: "服务器内部错误，请稍后重试 / internal server error, try again later"})
		return
	}
	status := http.StatusBadRequest
	switch ce.Kind {
	case citizen.KindConflict:
		status = http.StatusConflict
	case citizen.KindLimited:
		status = http.StatusTooManyRequests
	case citizen.KindUnauthorized:
		status = http.StatusUnauthorized
	case citizen.KindUnavailable:
		status = http.StatusServiceUnavailable
	}
	body := errorBody{Error: ce.Code, Message: ce.Zh + " / " + ce.En, Field: ce.Field}
	if ce.RetryAfter > 0 {
		s := seconds(ce.RetryAfter)
		body.RetryAfterS = s
		w.Header().Set("Retry-After", strconv.Itoa(s))
	}
	writeError(w, status, body)
}

// seconds rounds d up to whole seconds, at least 1.
func seconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

type smsRequest struct {
	Phone   string `json:"phone"`
	Purpose string `json:"purpose"`
}

func (h *handler) apiSMS(w http.ResponseWriter, r *http.Request) {
	var req smsRequest
	if !readJSON(w, r, &req) {
		return
	}
	p := sms.Purpose(req.Purpose)
	switch p {
	case sms.PurposeRegister, sms.PurposeLogin, sms.PurposeReset:
	default:
		writeError(w, http.StatusBadRequest, errorBody{Error: "bad_purpose", Field: "purpose",
			Message: "验证码用途须为 register、login 或 reset / purpose must be register, login or reset"})
		return
	}
	retry, err := h.cfg.Citizens.SendCode(r.Context(), req.Phone, p, h.cfg.ClientIP(r))
	if err != nil {
		h.coreError(w, r, "send code", err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"retry_after_s": seconds(retry)})
}

type registerRequest struct {
	Phone    string `json:"phone"`
	SMSCode  string `json:"sms_code"`
	Password string `json:"password"`
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
}

// accountBody is the logged-in citizen, masked.
type accountBody struct {
	PhoneMasked string    `json:"phone_masked"`
	NameMasked  string    `json:"name_masked"`
	IDMasked    string    `json:"id_masked"`
	ExpiresAt   time.Time `json:"expires_at"`
}

func sessionBody(s citizen.Session) map[string]accountBody {
	a := s.Account
	return map[string]accountBody{"account": {PhoneMasked: a.PhoneMasked, NameMasked: a.NameMasked, IDMasked: a.IDMasked, ExpiresAt: s.ExpiresAt}}
}

func (h *handler) apiRegister(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if !readJSON(w, r, &req) {
		return
	}
	s, err := h.cfg.Citizens.Register(r.Context(), citizen.RegisterInput{Phone: req.Phone, SMSCode: req.SMSCode,
		Password: req.Password, Name: req.Name, IDNumber: req.IDNumber}, h.cfg.ClientIP(r))
	if err != nil {
		h.coreError(w, r, "register", err)
		return
	}
	h.endOld(r, s.Token)
	h.setSession(w, s)
	writeJSON(w, http.StatusCreated, sessionBody(s))
}

type loginRequest struct {
	Phone    string `json:"phone"`
	Password string `json:"password"`
}

func (h *handler) apiLogin(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if !readJSON(w, r, &req) {
		return
	}
	s, err := h.cfg.Citizens.Login(r.Context(), req.Phone, req.Password, h.cfg.ClientIP(r))
	if err != nil {
		h.coreError(w, r, "login", err)
		return
	}
	h.endOld(r, s.Token)
	h.setSession(w, s)
	writeJSON(w, http.StatusOK, sessionBody(s))
}

func (h *handler) apiLogout(w http.ResponseWriter, r *http.Request) {
	if tok := h.token(r); tok != "" {
		if err := h.cfg.Citizens.Logout(r.Context(), tok); err != nil {
			h.coreError(w, r, "logout", err)
			return
		}
	}
	h.clearSession(w)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

type resetRequest struct {
	Phone    string `json:"phone"`
	SMSCode  string `json:"sms_code"`
	Password string `json:"password"`
}

func (h *handler) apiReset(w http.ResponseWriter, r *http.Request) {
	var req resetRequest
	if !readJSON(w, r, &req) {
		return
	}
	if err := h.cfg.Citizens.Reset(r.Context(), req.Phone, req.SMSCode, req.Password, h.cfg.ClientIP(r)); err != nil {
		h.coreError(w, r, "reset", err)
		return
	}
	// The core ended the account's sessions; this browser's too.
	h.clearSession(w)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// codeBody is the live code as 查看吉祥码 shows it.
type codeBody struct {
	citizen.CodeView
	QRPNG      string    `json:"qr_png"`     // data: URI of the QR, qrpng.Scale pixels per module
	QRModules  int       `json:"qr_modules"` // the QR's width in modules, quiet zone included
	ServerTime time.Time `json:"server_time"`
}

func (h *handler) apiCode(w http.ResponseWriter, r *http.Request) {
	tok := h.token(r)
	if tok == "" {
		writeError(w, http.StatusUnauthorized, errorBody{Error: "not_logged_in", Message: "请先登录 / please log in"})
		return
	}
	acct, err := h.cfg.Citizens.Session(r.Context(), tok)
	if err != nil {
		var ce *citizen.Error
		if errors.As(err, &ce) && ce.Kind == citizen.KindUnauthorized {
			h.clearSession(w)
		}
		h.coreError(w, r, "session", err)
		return
	}
	cv, err := h.cfg.Citizens.Code(r.Context(), acct)
	if err != nil {
		h.coreError(w, r, "code", err)
		return
	}
	png, n, err := h.qr.get(cv.Code)
	if err != nil {
		h.coreError(w, r, "code", err)
		return
	}
	writeJSON(w, http.StatusOK, codeBody{CodeView: cv, QRPNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png),
		QRModules: n, ServerTime: h.cfg.Now().UTC()})
}

type demoMessageBody struct {
	Text    string    `json:"text"`
	Code    string    `json:"code"`
	Purpose string    `json:"purpose"`
	SentAt  time.Time `json:"sent_at"`
}

// apiDemoSMS lists the demo outbox for one phone (demo mode only: the route exists only then).
func (h *handler) apiDemoSMS(w http.ResponseWriter, r *http.Request) {
	phone := r.URL.Query().Get("phone")
	if len(phone) == 0 || len(phone) > 20 {
		writeError(w, http.StatusBadRequest, errorBody{Error: "bad_phone", Field: "phone", Message: "请输入手机号 / enter the phone number"})
		return
	}
	msgs := []demoMessageBody{}
	for _, m := range h.cfg.DemoSMS(phone) {
		msgs = append(msgs, demoMessageBody(m))
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": msgs})
}
