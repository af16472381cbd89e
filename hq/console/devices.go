package console

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// 终端: the kiosks, their revocation, and enrollment codes.

type deviceRow struct {
	sqldb.Device
	LastSeen time.Time
	SiteName string
	// Version is the software the kiosk reported on its last pull; Epoch the HQ epoch it last
	// saw, and EpochOld whether that is not HQ's epoch now (HQ was restored since: the kiosk
	// resets and resends on its next answer). Empty when not reported.
	Version, Epoch string
	EpochOld       bool
	// A re-enrolled kiosk succeeds the device in Replaces; ReplacesName is that device's name
	// and SuccessorID/SuccessorName the kiosk that succeeds this one ("" when none).
	ReplacesName, SuccessorID, SuccessorName string
}

type devicesBody struct {
	Devices []deviceRow
	Sites   []checkpoint.Site
	CanEdit bool
	Code    *hq.EnrollCodeResponse // a code just made: shown once
}

func (h *handler) renderDevices(w http.ResponseWriter, r *http.Request, op Operator, status int, errKey string, code *hq.EnrollCodeResponse) {
	ctx := r.Context()
	devs, err := h.db.Devices(ctx)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	st, err := h.db.DeviceStatuses(ctx) // last pull, as kiosks report it: never a scan of records
	if err != nil {
		h.internal(w, r, err)
		return
	}
	sites, err := h.db.Sites(ctx)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	b := devicesBody{Sites: sites, CanEdit: op.Role.Can(PermDevices), Code: code}
	siteName := make(map[string]string, len(sites))
	for _, x := range sites {
		siteName[x.ID] = x.Name
	}
	byID := make(map[string]sqldb.Device, len(devs))
	succ := make(map[string]sqldb.Device, len(devs))
	for _, d := range devs {
		byID[d.ID] = d
		if d.Replaces != "" {
			succ[d.Replaces] = d
		}
	}
	epoch, err := h.core.Epoch(ctx)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	for _, d := range devs {
		s := st[d.ID]
		row := deviceRow{Device: d, LastSeen: s.SeenAt, SiteName: siteName[d.SiteID], ReplacesName: byID[d.Replaces].Name,
			Version: s.AppVersion, Epoch: s.Epoch, EpochOld: s.Epoch != "" && s.Epoch != epoch}
		if n, ok := succ[d.ID]; ok {
			row.SuccessorID, row.SuccessorName = n.ID, n.Name
		}
		b.Devices = append(b.Devices, row)
	}
	h.render(w, r, status, pageData{Page: "devices", Nav: "devices", Op: op, Error: errKey, Body: b})
}

func (h *handler) devicesPage(w http.ResponseWriter, r *http.Request, op Operator) {
	h.renderDevices(w, r, op, http.StatusOK, "", nil)
}

func (h *handler) deviceRevoke(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	id := r.PostFormValue("id")
	if len(id) > checkpoint.MaxIDLen {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	err := h.db.RevokeDevice(r.Context(), id)
	if errors.Is(err, sqldb.ErrNotFound) {
		h.renderDevices(w, r, op, http.StatusNotFound, "err_device_gone", nil)
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, hq.AuditDeviceRevoke, id, map[string]bool{"revoked": false}, map[string]bool{"revoked": true})
	http.Redirect(w, r, Prefix+"devices?done=revoked", http.StatusSeeOther)
}

// enrollCode makes a one-time enrollment code for a new kiosk (or one that succeeds a device)
// and shows it once; the audit log records the site and validity, never the code.
func (h *handler) enrollCode(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	site, replaces := r.PostFormValue("site_id"), r.PostFormValue("replaces")
	hours, err := strconv.Atoi(r.PostFormValue("ttl_hours"))
	if err != nil || hours < 1 || hours > 720 || len(site) > checkpoint.MaxIDLen || len(replaces) > checkpoint.MaxIDLen || (site == "" && replaces == "") {
		h.renderDevices(w, r, op, http.StatusBadRequest, "err_enroll_form", nil)
		return
	}
	resp, err := h.core.CreateReplacementCode(r.Context(), site, replaces, time.Duration(hours)*time.Hour)
	if errors.Is(err, sqldb.ErrNotFound) {
		h.renderDevices(w, r, op, http.StatusNotFound, "err_enroll_target", nil)
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, hq.AuditEnrollCode, resp.SiteID, nil, map[string]any{"site_id": resp.SiteID, "replaces": resp.Replaces, "expires_at": resp.ExpiresAt})
	h.renderDevices(w, r, op, http.StatusCreated, "", &resp)
}

// 密钥: the issuing keys (admin only may change them).

type keysBody struct {
	Keys    []sqldb.Key
	Roots   []rootRow // the root key chain, oldest first; the last is the one in force
	CanEdit bool
}

// rootRow is one root key of the chain on 签发密钥: its fingerprint (the root id kiosks pin) and
// when it entered the chain.
type rootRow struct {
	Seq     int64
	ID      string
	Created time.Time
	Current bool
}

func (h *handler) renderKeys(w http.ResponseWriter, r *http.Request, op Operator, status int, errKey string) {
	ks, err := h.db.Keys(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	for i := range ks {
		ks[i].Private = "" // never near a template
	}
	rks, err := h.db.RootKeys(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	roots := make([]rootRow, len(rks))
	for i, k := range rks {
		roots[i] = rootRow{Seq: k.Seq, ID: checkpoint.RootID(k.Public), Created: k.CreatedAt, Current: i == len(rks)-1}
	}
	h.render(w, r, status, pageData{Page: "keys", Nav: "keys", Op: op, Error: errKey,
		Body: keysBody{Keys: ks, Roots: roots, CanEdit: op.Role.Can(PermKeys)}})
}

func (h *handler) keysPage(w http.ResponseWriter, r *http.Request, op Operator) {
	h.renderKeys(w, r, op, http.StatusOK, "")
}

func (h *handler) keyNew(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	days, err := strconv.Atoi(r.PostFormValue("valid_days"))
	if err != nil || days < 1 || days > 3650 {
		h.renderKeys(w, r, op, http.StatusBadRequest, "err_key_days")
		return
	}
	rotate := r.PostFormValue("rotate") == "1"
	tk, err := h.core.NewIssuingKey(r.Context(), time.Duration(days)*24*time.Hour, rotate)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, hq.AuditKeyCreate, tk.KID, nil, map[string]any{"kid": tk.KID, "rotate": rotate, "valid_days": days})
	http.Redirect(w, r, Prefix+"keys?done=saved", http.StatusSeeOther)
}

// keyState retires or distrusts a key (distrust needs the confirm box ticked).
func (h *handler) keyState(distrust bool) func(w http.ResponseWriter, r *http.Request, op Operator) {
	return func(w http.ResponseWriter, r *http.Request, op Operator) {
		if !form(w, r, maxForm) {
			h.fail(w, r, http.StatusBadRequest, "err_form")
			return
		}
		kid := r.PostFormValue("kid")
		if len(kid) > 200 {
			h.fail(w, r, http.StatusBadRequest, "err_form")
			return
		}
		old, err := h.db.Key(r.Context(), kid)
		if errors.Is(err, sqldb.ErrNotFound) {
			h.renderKeys(w, r, op, http.StatusNotFound, "err_key_gone")
			return
		}
		if err != nil {
			h.internal(w, r, err)
			return
		}
		action, state := hq.AuditKeyRetire, checkpoint.KeyRetired
		if distrust {
			if r.PostFormValue("confirm") != "1" {
				h.renderKeys(w, r, op, http.StatusBadRequest, "err_key_confirm")
				return
			}
			action, state = hq.AuditKeyDistrust, checkpoint.KeyDistrusted
			err = h.db.DistrustKey(r.Context(), kid, h.cfg.Now())
		} else {
			err = h.db.RetireKey(r.Context(), kid, h.cfg.Now())
		}
		if errors.Is(err, sqldb.ErrNotFound) {
			h.renderKeys(w, r, op, http.StatusConflict, "err_key_gone")
			return
		}
		if err != nil {
			h.internal(w, r, err)
			return
		}
		h.audit(r, op, action, kid, map[string]any{"state": old.State}, map[string]any{"state": state})
		http.Redirect(w, r, Prefix+"keys?done=saved", http.StatusSeeOther)
	}
}
