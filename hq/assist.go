package hq

import (
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/citizen"
	"github.com/yongji-county/checkpoint/hq/internal/httpx"
	"github.com/yongji-county/checkpoint/hq/sms"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// assistCodes is the citizen core as the kiosk's 辅助登记 uses it; set by SetCitizens.
type assistCodes struct {
	atomic.Pointer[citizen.Service]
}

// SetCitizens gives the kiosk API the citizen core, through which 辅助登记 sends and checks SMS
// codes (POST /api/v1/assist/sms and /verify). Until it is set those answer 503, and kiosks
// register unverified.
func (s *Server) SetCitizens(c *citizen.Service) { s.assist.Store(c) }

// assistKey is what HQ's per-address SMS limits count a kiosk's requests against: the device,
// not the address (many kiosks may share one NAT address).
func assistKey(dev sqldb.Device) string { return "device:" + dev.ID }

// handleAssistSMS answers POST /api/v1/assist/sms: send a code to the phone of the person a
// kiosk is registering. HQ's SMS limits apply (per phone, and per device).
func (s *Server) handleAssistSMS(w http.ResponseWriter, r *http.Request, dev sqldb.Device) {
	c := s.citizens(w)
	if c == nil {
		return
	}
	var req checkpoint.AssistSMSRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	retry, err := c.SendCode(r.Context(), req.Phone, sms.PurposeAssist, assistKey(dev))
	if err != nil {
		s.citizenError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, checkpoint.AssistSMSResponse{RetryAfterS: httpx.RetrySeconds(retry)})
}

// handleAssistVerify answers POST /api/v1/assist/verify: check and consume the code the person
// read out at the kiosk.
func (s *Server) handleAssistVerify(w http.ResponseWriter, r *http.Request, dev sqldb.Device) {
	c := s.citizens(w)
	if c == nil {
		return
	}
	var req checkpoint.AssistVerifyRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	if err := c.CheckCode(r.Context(), req.Phone, sms.PurposeAssist, req.Code); err != nil {
		s.citizenError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, checkpoint.AssistVerifyResponse{Verified: true})
}

// citizens returns the citizen core, or answers 503 when HQ runs without it.
func (s *Server) citizens(w http.ResponseWriter) *citizen.Service {
	c := s.assist.Load()
	if c == nil {
		httpx.WriteError(w, http.StatusServiceUnavailable, "sms_unavailable", "总部未接入短信服务 / HQ has no SMS gateway")
	}
	return c
}

// citizenError writes a refusal of the citizen core with its status.
func (s *Server) citizenError(w http.ResponseWriter, r *http.Request, err error) {
	var ce *citizen.Error
	if !errors.As(err, &ce) {
		s.internal(w, r, err)
		return
	}
	status := http.StatusBadRequest
	switch ce.Kind {
	case citizen.KindConflict:
		status = http.StatusConflict
	case citizen.KindLimited:
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.Itoa(httpx.RetrySeconds(ce.RetryAfter)))
	case citizen.KindUnauthorized:
		status = http.StatusUnauthorized
	case citizen.KindUnavailable:
		status = http.StatusServiceUnavailable
	}
	httpx.WriteError(w, status, ce.Code, ce.Zh+" / "+ce.En)
}
