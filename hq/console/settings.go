package console

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
)

// 设置: the rule thresholds, code lifetimes and retention, through the same core as PUT
// /api/v1/admin/settings. Admin only changes; kiosks get the change on their next pull.

type settingsForm struct {
	FeverC, MinC, MaxC         string
	County                     string
	SkewMin, CodeAgeH, LiveMin string
	RetentionDays              string
}

type settingsBody struct {
	Form    settingsForm
	CanEdit bool
	Detail  string // what the core said was wrong
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func formOf(st checkpoint.Settings) settingsForm {
	c := st.Rules.WithDefaults()
	return settingsForm{FeverC: num(float64(c.FeverC)), MinC: num(float64(c.MinPlausibleC)), MaxC: num(float64(c.MaxPlausibleC)),
		County: c.LocalCounty, SkewMin: num(c.MaxClockSkew.Minutes()), CodeAgeH: num(c.MaxCodeAge.Hours()), LiveMin: num(c.LiveTTL.Minutes()),
		RetentionDays: strconv.Itoa(st.RetentionDays)}
}

func (h *handler) renderSettings(w http.ResponseWriter, r *http.Request, op Operator, status int, errKey, notice string, f *settingsForm, detail string) {
	b := settingsBody{CanEdit: op.Role.Can(PermSettings), Detail: detail}
	if f != nil {
		b.Form = *f
	} else {
		st, err := h.core.Settings(r.Context())
		if err != nil {
			h.internal(w, r, err)
			return
		}
		b.Form = formOf(st)
	}
	h.render(w, r, status, pageData{Page: "settings", Nav: "settings", Op: op, Error: errKey, Notice: notice, Body: b})
}

func (h *handler) settingsPage(w http.ResponseWriter, r *http.Request, op Operator) {
	h.renderSettings(w, r, op, http.StatusOK, "", "", nil, "")
}

// parseSettings reads the form: every field is required and bounded here; the core checks the
// rules as a whole.
func parseSettings(f settingsForm) (checkpoint.Config, int, error) {
	var c checkpoint.Config
	fl := func(s string, lo, hi float64) (float64, error) {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(v) || v < lo || v > hi {
			return 0, errors.New(s)
		}
		return v, nil
	}
	var err error
	var v float64
	if v, err = fl(f.FeverC, 30, 45); err != nil {
		return c, 0, err
	}
	c.FeverC = checkpoint.Celsius(v)
	if v, err = fl(f.MinC, 20, 45); err != nil {
		return c, 0, err
	}
	c.MinPlausibleC = checkpoint.Celsius(v)
	if v, err = fl(f.MaxC, 30, 50); err != nil {
		return c, 0, err
	}
	c.MaxPlausibleC = checkpoint.Celsius(v)
	c.LocalCounty = strings.TrimSpace(f.County)
	if v, err = fl(f.SkewMin, 0, 24*60); err != nil {
		return c, 0, err
	}
	c.MaxClockSkew = time.Duration(v * float64(time.Minute))
	if v, err = fl(f.CodeAgeH, 0.01, 24*365); err != nil {
		return c, 0, err
	}
	c.MaxCodeAge = time.Duration(v * float64(time.Hour))
	if v, err = fl(f.LiveMin, 0.1, 24*60); err != nil {
		return c, 0, err
	}
	c.LiveTTL = time.Duration(v * float64(time.Minute))
	days, err := strconv.Atoi(strings.TrimSpace(f.RetentionDays))
	if err != nil {
		return c, 0, err
	}
	return c, days, nil
}

func (h *handler) settingsSave(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	v := func(k string) string {
		s := r.PostFormValue(k)
		if len(s) > 32 {
			s = s[:32]
		}
		return s
	}
	f := settingsForm{FeverC: v("fever_c"), MinC: v("min_c"), MaxC: v("max_c"), County: v("local_county"), SkewMin: v("skew_min"),
		CodeAgeH: v("code_age_h"), LiveMin: v("live_min"), RetentionDays: v("retention_days")}
	rules, days, err := parseSettings(f)
	if err != nil {
		h.renderSettings(w, r, op, http.StatusBadRequest, "err_settings", "", &f, err.Error())
		return
	}
	before, after, err := h.core.PutSettings(r.Context(), hq.SettingsRequest{Rules: &rules, RetentionDays: &days})
	if errors.Is(err, hq.ErrBadInput) {
		h.renderSettings(w, r, op, http.StatusBadRequest, "err_settings", "", &f, strings.TrimPrefix(err.Error(), hq.ErrBadInput.Error()+": "))
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	view := func(st checkpoint.Settings) map[string]any {
		return map[string]any{"rules": st.Rules, "retention_days": st.RetentionDays}
	}
	if hq.AuditJSON(view(before)) != hq.AuditJSON(view(after)) {
		h.audit(r, op, hq.AuditSettingsPut, "settings", view(before), view(after))
	}
	h.renderSettings(w, r, op, http.StatusOK, "", "notice_settings", nil, "")
}
