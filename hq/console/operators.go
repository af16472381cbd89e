package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// 操作员 (admin only): the operator accounts that `hq operator` manages from the command line —
// list, add (a one-time setup link, shown once), reset (a new link), role, disable and enable —
// each audited under the command line's action names.

// The audit actions of operator changes, the same from the console and from `hq operator`.
const (
	AuditOperatorAdd     = "operator.add"
	AuditOperatorReset   = "operator.reset"
	AuditOperatorRole    = "operator.role"
	AuditOperatorDisable = "operator.disable"
	AuditOperatorEnable  = "operator.enable"
)

// operatorsMu makes a check that an admin would remain and the change it allows one step, for
// the changes made through this process (the command line is for when none can log in).
var operatorsMu sync.Mutex

// PermOperators is the permission to manage operator accounts (admin only).
const PermOperators Perm = "operators"

type operatorRow struct {
	Name      string
	Role      Role
	State     string // "ready", "pending", "expired" or "inactive"
	Until     time.Time
	TOTP      bool
	LastLogin time.Time // to the 30 s step of the last authenticator code accepted; zero if none
	Created   time.Time
	Self      bool
}

type operatorsBody struct {
	Ops   []operatorRow
	Roles []Role
	Link  string    // a setup link just made: shown once
	For   string    // whose link
	Until time.Time // when it expires
	Name  string    // the add form's name, kept after an error
	Role  Role
}

// operatorState is an account's state as `hq operator list` shows it.
func operatorState(o sqldb.Operator, now time.Time) string {
	switch {
	case !o.Active:
		return "inactive"
	case !o.TOTPConfirmed && now.Before(o.SetupUntil):
		return "pending"
	case !o.TOTPConfirmed:
		return "expired"
	}
	return "ready"
}

// usableAdmin reports whether o is an admin who can log in (or finish a setup under way).
func usableAdmin(o sqldb.Operator) bool {
	return o.Active && o.Role == string(RoleAdmin) && (o.TOTPConfirmed && o.PasswordHash != "")
}

func (h *handler) renderOperators(w http.ResponseWriter, r *http.Request, op Operator, status int, errKey string, b operatorsBody) {
	ops, err := h.db.Operators(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	now := h.cfg.Now()
	b.Roles = Roles
	if b.Role == "" {
		b.Role = RoleViewer // the least a new account may do, unless the admin picks more
	}
	for _, o := range ops {
		row := operatorRow{Name: o.Name, Role: Role(o.Role), State: operatorState(o, now), Until: o.SetupUntil, TOTP: o.TOTPConfirmed,
			Created: o.CreatedAt, Self: o.Name == op.Name}
		if o.TOTPConfirmed && o.TOTPLastStep > 0 {
			row.LastLogin = time.Unix(o.TOTPLastStep*totpPeriod, 0).UTC()
		}
		b.Ops = append(b.Ops, row)
	}
	h.render(w, r, status, pageData{Page: "operators", Nav: "operators", Op: op, Error: errKey, Body: b})
}

func (h *handler) operatorsPage(w http.ResponseWriter, r *http.Request, op Operator) {
	h.renderOperators(w, r, op, http.StatusOK, "", operatorsBody{})
}

// setupLink is the absolute setup link for token, on the host the admin is using.
func (h *handler) setupLink(r *http.Request, token string) string {
	scheme := "http"
	if h.cfg.Secure || r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix + "setup?token=" + url.QueryEscape(token)
}

func (h *handler) operatorAdd(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	name, role := strings.TrimSpace(r.PostFormValue("name")), Role(r.PostFormValue("role"))
	keep := operatorsBody{Name: name, Role: role}
	if !ValidName(name) {
		h.renderOperators(w, r, op, http.StatusBadRequest, "err_op_name", keep)
		return
	}
	if _, err := ParseRole(string(role)); err != nil {
		h.renderOperators(w, r, op, http.StatusBadRequest, "err_op_role", keep)
		return
	}
	now := h.cfg.Now()
	tok, err := AddOperator(r.Context(), h.db, name, role, now)
	if errors.Is(err, sqldb.ErrOperatorExists) {
		h.renderOperators(w, r, op, http.StatusConflict, "err_op_exists", keep)
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, AuditOperatorAdd, name, nil, map[string]string{"role": string(role)})
	h.renderOperators(w, r, op, http.StatusCreated, "", operatorsBody{Link: h.setupLink(r, tok), For: name, Until: now.Add(SetupValidity)})
}

// operatorTarget reads the form's operator name and looks the account up; it has answered
// when ok is false.
func (h *handler) operatorTarget(w http.ResponseWriter, r *http.Request, op Operator) (sqldb.Operator, []sqldb.Operator, bool) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return sqldb.Operator{}, nil, false
	}
	name := r.PostFormValue("name")
	if len(name) > maxName {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return sqldb.Operator{}, nil, false
	}
	ops, err := h.db.Operators(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return sqldb.Operator{}, nil, false
	}
	for _, o := range ops {
		if o.Name == name {
			return o, ops, true
		}
	}
	h.renderOperators(w, r, op, http.StatusNotFound, "err_op_gone", operatorsBody{})
	return sqldb.Operator{}, nil, false
}

// lastAdmin reports whether taking o out of the usable admins would leave none.
func lastAdmin(o sqldb.Operator, ops []sqldb.Operator) bool {
	if !usableAdmin(o) {
		return false
	}
	for _, x := range ops {
		if x.Name != o.Name && usableAdmin(x) {
			return false
		}
	}
	return true
}

func (h *handler) operatorReset(w http.ResponseWriter, r *http.Request, op Operator) {
	operatorsMu.Lock()
	defer operatorsMu.Unlock()
	o, ops, ok := h.operatorTarget(w, r, op)
	if !ok {
		return
	}
	if lastAdmin(o, ops) {
		h.renderOperators(w, r, op, http.StatusConflict, "err_op_last_admin", operatorsBody{})
		return
	}
	now := h.cfg.Now()
	tok, err := ResetOperator(r.Context(), h.db, o.Name, now)
	if errors.Is(err, sqldb.ErrNotFound) {
		h.renderOperators(w, r, op, http.StatusNotFound, "err_op_gone", operatorsBody{})
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, AuditOperatorReset, o.Name, nil, map[string]string{"password": "cleared", "totp": "cleared"})
	h.renderOperators(w, r, op, http.StatusOK, "", operatorsBody{Link: h.setupLink(r, tok), For: o.Name, Until: now.Add(SetupValidity)})
}

func (h *handler) operatorRole(w http.ResponseWriter, r *http.Request, op Operator) {
	operatorsMu.Lock()
	defer operatorsMu.Unlock()
	o, ops, ok := h.operatorTarget(w, r, op)
	if !ok {
		return
	}
	role, err := ParseRole(r.PostFormValue("role"))
	if err != nil {
		h.renderOperators(w, r, op, http.StatusBadRequest, "err_op_role", operatorsBody{})
		return
	}
	if string(role) == o.Role {
		http.Redirect(w, r, Prefix+"operators?done=op_saved", http.StatusSeeOther)
		return
	}
	if role != RoleAdmin && lastAdmin(o, ops) {
		h.renderOperators(w, r, op, http.StatusConflict, "err_op_last_admin", operatorsBody{})
		return
	}
	if err := h.db.SetOperatorRole(r.Context(), o.Name, string(role), h.cfg.Now()); errors.Is(err, sqldb.ErrNotFound) {
		h.renderOperators(w, r, op, http.StatusNotFound, "err_op_gone", operatorsBody{})
		return
	} else if err != nil {
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, AuditOperatorRole, o.Name, map[string]string{"role": o.Role}, map[string]string{"role": string(role)})
	http.Redirect(w, r, Prefix+"operators?done=op_saved", http.StatusSeeOther)
}

// operatorActive disables (active false) or enables an operator; disabling ends their sessions.
func (h *handler) operatorActive(active bool) func(w http.ResponseWriter, r *http.Request, op Operator) {
	return func(w http.ResponseWriter, r *http.Request, op Operator) {
		operatorsMu.Lock()
		defer operatorsMu.Unlock()
		o, ops, ok := h.operatorTarget(w, r, op)
		if !ok {
			return
		}
		if !active && lastAdmin(o, ops) {
			h.renderOperators(w, r, op, http.StatusConflict, "err_op_last_admin", operatorsBody{})
			return
		}
		if err := h.db.SetOperatorActive(r.Context(), o.Name, active, h.cfg.Now()); errors.Is(err, sqldb.ErrNotFound) {
			h.renderOperators(w, r, op, http.StatusNotFound, "err_op_gone", operatorsBody{})
			return
		} else if err != nil {
			h.internal(w, r, err)
			return
		}
		action := AuditOperatorDisable
		if active {
			action = AuditOperatorEnable
		}
		h.audit(r, op, action, o.Name, map[string]string{"active": fmt.Sprint(o.Active)}, map[string]string{"active": fmt.Sprint(active)})
		to := Prefix + "operators?done=op_saved"
		if !active && o.Name == op.Name {
			to = Prefix + "login?done=logout" // one's own sessions have just ended
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	}
}
