package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/yongji-county/checkpoint/hq/citizen"
)

// maxToken bounds a session cookie's value before it reaches the core.
const maxToken = 256

// setSession puts a new session's token in the cookie. It lives as long as the browser
// session; the core's idle and absolute limits end it sooner.
func (h *handler) setSession(w http.ResponseWriter, s citizen.Session) {
	http.SetCookie(w, &http.Cookie{Name: h.cookie, Value: s.Token, Path: "/", HttpOnly: true, Secure: h.cfg.Secure,
		SameSite: http.SameSiteLaxMode})
}

func (h *handler) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: h.cookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.cfg.Secure,
		SameSite: http.SameSiteLaxMode})
}

// token is the request's session token, or "".
func (h *handler) token(r *http.Request) string {
	c, err := r.Cookie(h.cookie)
	if err != nil || c.Value == "" || len(c.Value) > maxToken {
		return ""
	}
	return c.Value
}

// account returns the logged-in citizen. A dead session's cookie is cleared; a failing core
// is logged and taken as not logged in.
func (h *handler) account(w http.ResponseWriter, r *http.Request) (citizen.Account, bool) {
	tok := h.token(r)
	if tok == "" {
		return citizen.Account{}, false
	}
	acct, err := h.cfg.Citizens.Session(r.Context(), tok)
	if err != nil {
		var ce *citizen.Error
		if errors.As(err, &ce) && ce.Kind == citizen.KindUnauthorized {
			h.clearSession(w)
		} else {
			h.log.Error("web: session", slog.Any("err", err))
		}
		return citizen.Account{}, false
	}
	return acct, true
}

// endOld ends the session a request came with, once a login or registration has replaced it.
func (h *handler) endOld(r *http.Request, newToken string) {
	if old := h.token(r); old != "" && old != newToken {
		if err := h.cfg.Citizens.Logout(r.Context(), old); err != nil {
			h.log.Warn("web: end replaced session", slog.Any("err", err))
		}
	}
}
