package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/internal/codecard"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// 人员: find a person by ID number, mobile number, code id or person id (a POST, so an ID
// number stays out of URLs and browser history; typed, never listed), see their codes and
// changes of colour, set their colour, revoke a code, print a code card. Health and admin only:
// looking a person up is personal data, and every look-up is in the audit log, masked.

type peopleBody struct {
	Person  *hq.PersonView
	History *hq.PersonHistory
	Revoked int64
	CanEdit bool
}

func (h *handler) renderPeople(w http.ResponseWriter, r *http.Request, op Operator, status int, errKey, notice string, b peopleBody) {
	b.CanEdit = op.Role.Can(PermPeople)
	h.render(w, r, status, pageData{Page: "people", Nav: "people", Op: op, Error: errKey, Notice: notice, Body: b})
}

// renderPerson shows the person personID with their history (the page without them if they
// cannot be read).
func (h *handler) renderPerson(w http.ResponseWriter, r *http.Request, op Operator, status int, errKey, notice string, personID string, b peopleBody) {
	if b.Person == nil && personID != "" {
		if p, err := h.core.FindPerson(r.Context(), "", personID, ""); err == nil {
			b.Person = &p
		}
	}
	if b.Person != nil {
		hist, err := h.core.History(r.Context(), b.Person.ID)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		b.History = &hist
	}
	h.renderPeople(w, r, op, status, errKey, notice, b)
}

func (h *handler) peoplePage(w http.ResponseWriter, r *http.Request, op Operator) {
	h.renderPeople(w, r, op, http.StatusOK, "", "", peopleBody{})
}

// Kinds of look-up.
const (
	findByID     = "id_number"
	findByPhone  = "phone"
	findByCode   = "code_id"
	findByPerson = "person_id"
)

// findRef reads what the operator typed: an 18-character ID number, a mobile number, a person
// id (p-…) or else a code id. It returns the kind and the value to look up.
func findRef(q string) (kind, value string) {
	q = strings.TrimSpace(q)
	switch {
	case len(q) == 18:
		return findByID, strings.ToUpper(q)
	case strings.HasPrefix(strings.ToLower(q), "p-"):
		return findByPerson, strings.ToLower(q)
	}
	if _, err := checkpoint.ParsePhone(q); err == nil {
		return findByPhone, q
	}
	return findByCode, q // code ids are case-sensitive
}

// maskedQuery is what the audit log keeps of a look-up: an ID number or a phone masked.
func maskedQuery(kind, value string) string {
	switch kind {
	case findByID:
		if id, err := checkpoint.ParseResidentID(value); err == nil {
			return id.Masked()
		}
		return "(invalid)"
	case findByPhone:
		if ph, err := checkpoint.ParsePhone(value); err == nil {
			return ph.Masked()
		}
		return "(invalid)"
	case findByCode:
		// A code id is random hex with letters in it; anything else (a mistyped ID or phone
		// number, say) is kept as its length only.
		if len(value) >= 16 && len(value) <= 64 && strings.Trim(value, "0123456789abcdef") == "" && strings.Trim(value, "0123456789") != "" {
			return value
		}
		return fmt.Sprintf("(%d characters)", len(value))
	}
	return value
}

func (h *handler) peopleFind(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	q := r.PostFormValue("q")
	if strings.TrimSpace(q) == "" || len(q) > 200 {
		h.renderPeople(w, r, op, http.StatusBadRequest, "err_people_query", "", peopleBody{})
		return
	}
	kind, value := findRef(q)
	var p hq.PersonView
	var err error
	switch kind {
	case findByID:
		p, err = h.core.FindPerson(r.Context(), "", "", value)
	case findByPhone:
		p, err = h.core.FindPersonByPhone(r.Context(), value)
	case findByPerson:
		p, err = h.core.FindPerson(r.Context(), "", value, "")
	default:
		p, err = h.core.FindPerson(r.Context(), value, "", "")
	}
	switch {
	case errors.Is(err, hq.ErrBadInput):
		h.renderPeople(w, r, op, http.StatusBadRequest, "err_people_id", "", peopleBody{})
		return
	case err != nil && !errors.Is(err, hq.ErrPersonNotFound):
		h.internal(w, r, err)
		return
	}
	found := err == nil
	h.audit(r, op, hq.AuditPersonFind, p.ID, nil, map[string]any{"by": kind, "query": maskedQuery(kind, value), "found": found})
	if !found {
		h.renderPeople(w, r, op, http.StatusNotFound, "err_people_none", "", peopleBody{})
		return
	}
	h.renderPerson(w, r, op, http.StatusOK, "", "", "", peopleBody{Person: &p})
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
		h.renderPerson(w, r, op, http.StatusBadRequest, "err_people_status", "", id, peopleBody{})
		return
	case err != nil:
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, hq.AuditPersonStatus, after.ID, map[string]string{"status": before.Status, "reason": before.Reason},
		map[string]any{"status": after.Status, "reason": after.Reason, "revoked_codes": n})
	h.renderPerson(w, r, op, http.StatusOK, "", "notice_status", "", peopleBody{Person: &after, Revoked: n})
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
	// From a person's code list, the page shows the person again.
	personID := r.PostFormValue("person_id")
	if len(personID) > checkpoint.MaxIDLen {
		personID = ""
	}
	err := h.db.RevokeCode(r.Context(), id, h.cfg.Now())
	if errors.Is(err, sqldb.ErrNotFound) {
		h.renderPerson(w, r, op, http.StatusNotFound, "err_code_none", "", personID, peopleBody{})
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, hq.AuditCodeRevoke, id, nil, map[string]bool{"revoked": true})
	h.renderPerson(w, r, op, http.StatusOK, "", "notice_code_revoked", personID, peopleBody{})
}

// peopleCard issues a printed code for the person and answers its card as a PDF download.
func (h *handler) peopleCard(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	id := r.PostFormValue("person_id")
	if id == "" || len(id) > checkpoint.MaxIDLen {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	pc, err := h.core.IssuePrinted(r.Context(), id)
	switch {
	case errors.Is(err, hq.ErrPersonNotFound):
		h.renderPeople(w, r, op, http.StatusNotFound, "err_people_none", "", peopleBody{})
		return
	case errors.Is(err, hq.ErrNoIssuingKey):
		h.renderPerson(w, r, op, http.StatusConflict, "err_card_no_key", "", id, peopleBody{})
		return
	case errors.Is(err, checkpoint.ErrInvalidClaims), errors.Is(err, checkpoint.ErrCodeTooLarge):
		h.renderPerson(w, r, op, http.StatusConflict, "err_card_claims", "", id, peopleBody{})
		return
	case err != nil:
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, hq.AuditCodePrint, pc.CodeID, nil, map[string]any{"person_id": pc.PersonID, "kind": string(checkpoint.KindPrinted),
		"status": string(pc.Status), "expires_at": pc.ExpiresAt.UTC().Format(time.RFC3339)})
	pdf, err := codecard.Render(codecard.Card{Code: pc.Code, CodeID: pc.CodeID, Status: pc.Status, NameMasked: pc.NameMasked,
		IDMasked: pc.IDMasked, Household: pc.Household, IssuedAt: pc.IssuedAt, ExpiresAt: pc.ExpiresAt})
	if err != nil {
		h.internal(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/pdf")
	hd.Set("Content-Disposition", attachment(cardFilename(pc.IDMasked), "jixiangma-"+strings.ReplaceAll(pc.IDMasked, "*", "x")+".pdf"))
	hd.Set("Content-Length", strconv.Itoa(len(pdf)))
	w.Write(pdf)
}

// cardFilename is the card's file name: 吉祥码-, the masked ID number with its stars as x (a
// star is not allowed in file names on Windows), .pdf.
func cardFilename(idMasked string) string {
	return "吉祥码-" + strings.ReplaceAll(idMasked, "*", "x") + ".pdf"
}

// attachment is a Content-Disposition for a download named name (RFC 6266): fallback, an ASCII
// name for clients that do not read filename* (any other character in it becomes _), and name
// itself in RFC 5987's filename*.
func attachment(name, fallback string) string {
	var ascii, enc strings.Builder
	for _, r := range fallback {
		if r < 0x80 && r > 0x20 && r != '"' && r != '\\' && r != '%' {
			ascii.WriteRune(r)
		} else {
			ascii.WriteByte('_')
		}
	}
	for _, b := range []byte(name) {
		if b < 0x80 && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0) {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + enc.String()
}
