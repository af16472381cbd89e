package console

import (
	"errors"
	"net/http"
	"strings"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// 人员状态: find a person (by ID number, code id or person id: a POST, so an ID number stays
// out of URLs and browser history), set their colour, revoke a code. Health and admin only:
// looking a person up is personal data.

type peopleBody struct {
	Person  *hq.PersonView
	Revoked int64
	CanEdit bool
	Find    string // what the find form holds after a miss (never an ID number: it is cleared)
}

func (h *handler) renderPeople(w http.ResponseWriter, r *http.Request, op Operator, status int, errKey, notice string, b peopleBody) {
	b.CanEdit = op.Role.Can(PermPeople)
	h.render(w, r, status, pageData{Page: "people", Nav: "people", Op: op, Error: errKey, Notice: notice, Body: b})
}

func (h *handler) peoplePage(w http.ResponseWriter, r *http.Request, op Operator) {
	h.renderPeople(w, r, op, http.StatusOK, "", "", peopleBody{})
}

// findRef reads what the operator typed: an 18-character ID number, a code id, or a person id.
func findRef(q string) (codeID, personID, idNumber string) {
	q = strings.ToUpper(strings.TrimSpace(q))
	switch {
	case len(q) == 18:
		return "", "", q
	case strings.HasPrefix(strings.ToLower(q), "p-"):
		return "", strings.ToLower(q), ""
	}
	return strings.TrimSpace(q), "", ""
}

func (h *handler) peopleFind(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	q := r.PostFormValue("q")
	if q == "" || len(q) > 200 {
		h.renderPeople(w, r, op, http.StatusBadRequest, "err_people_query", "", peopleBody{})
		return
	}
	codeID, personID, idNumber := findRef(q)
	if codeID != "" {
		codeID = strings.TrimSpace(r.PostFormValue("q")) // code ids are case-sensitive
	}
	p, err := h.core.FindPerson(r.Context(), codeID, personID, idNumber)
	switch {
	case errors.Is(err, hq.ErrPersonNotFound):
		h.renderPeople(w, r, op, http.StatusNotFound, "err_people_none", "", peopleBody{})
		return
	case errors.Is(err, hq.ErrBadInput):
		h.renderPeople(w, r, op, http.StatusBadRequest, "err_people_id", "", peopleBody{})
		return
	case err != nil:
		h.internal(w, r, err)
		return
	}
	h.renderPeople(w, r, op, http.StatusOK, "", "", peopleBody{Person: &p})
}

func (h *handler) peopleStatus(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	id := r.PostFormValue("person_id")
	if len(id) > checkpoint.MaxIDLen {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	before, after, n, err := h.core.SetPersonStatus(r.Context(), id, r.PostFormValue("status"), r.PostFormValue("reason"), op.Name)
	switch {
	case errors.Is(err, hq.ErrPersonNotFound):
		h.renderPeople(w, r, op, http.StatusNotFound, "err_people_none", "", peopleBody{})
		return
	case errors.Is(err, hq.ErrBadInput):
		p, ferr := h.core.FindPerson(r.Context(), "", id, "")
		b := peopleBody{}
		if ferr == nil {
			b.Person = &p
		}
		h.renderPeople(w, r, op, http.StatusBadRequest, "err_people_status", "", b)
		return
	case err != nil:
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, hq.AuditPersonStatus, after.ID, map[string]string{"status": before.Status, "reason": before.Reason},
		map[string]any{"status": after.Status, "reason": after.Reason, "revoked_codes": n})
	h.renderPeople(w, r, op, http.StatusOK, "", "notice_status", peopleBody{Person: &after, Revoked: n})
}

func (h *handler) codeRevoke(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	id := strings.TrimSpace(r.PostFormValue("code_id"))
	if id == "" || len(id) > checkpoint.MaxIDLen {
		h.renderPeople(w, r, op, http.StatusBadRequest, "err_people_query", "", peopleBody{})
		return
	}
	err := h.db.RevokeCode(r.Context(), id, h.cfg.Now())
	if errors.Is(err, sqldb.ErrNotFound) {
		h.renderPeople(w, r, op, http.StatusNotFound, "err_code_none", "", peopleBody{})
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, hq.AuditCodeRevoke, id, nil, map[string]bool{"revoked": true})
	h.renderPeople(w, r, op, http.StatusOK, "", "notice_code_revoked", peopleBody{})
}
