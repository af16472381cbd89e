package console

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
)

// 站点与人员: the site tree from the roots, each site with its supervisors and scanner staff;
// add, edit and deactivate sites; add staff, transfer them to another site, deactivate them.
// Ops and admin change; everyone reads (staff are shown masked, as HQ keeps them).

type siteNode struct {
	checkpoint.Site
	Depth       int
	Supervisors []hq.StaffView
	Scanners    []hq.StaffView
}

type sitesBody struct {
	Tree    []siteNode
	Sites   []checkpoint.Site // every site, for the selects
	Edit    *checkpoint.Site  // the site the form edits (nil: a new site)
	CanEdit bool
	Roles   []checkpoint.Role
}

// siteTree orders sites depth-first from the roots (a site whose parent is unknown counts as a
// root), children by id.
func siteTree(sites []checkpoint.Site, staff []hq.StaffView) []siteNode {
	byID := map[string]bool{}
	for _, s := range sites {
		byID[s.ID] = true
	}
	kids := map[string][]checkpoint.Site{}
	for _, s := range sites {
		p := s.ParentID
		if !byID[p] {
			p = ""
		}
		kids[p] = append(kids[p], s)
	}
	for _, k := range kids {
		sort.Slice(k, func(i, j int) bool { return k[i].ID < k[j].ID })
	}
	at := map[string][]hq.StaffView{}
	for _, st := range staff {
		at[st.SiteID] = append(at[st.SiteID], st)
	}
	var out []siteNode
	seen := map[string]bool{}
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, s := range kids[parent] {
			if seen[s.ID] {
				continue
			}
			seen[s.ID] = true
			n := siteNode{Site: s, Depth: depth}
			for _, st := range at[s.ID] {
				if st.Role == checkpoint.RoleSupervisor {
					n.Supervisors = append(n.Supervisors, st)
				} else {
					n.Scanners = append(n.Scanners, st)
				}
			}
			out = append(out, n)
			walk(s.ID, depth+1)
		}
	}
	walk("", 0)
	return out
}

func (h *handler) renderSites(w http.ResponseWriter, r *http.Request, op Operator, status int, errKey string, edit *checkpoint.Site) {
	ctx := r.Context()
	sites, err := h.db.Sites(ctx)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	staff, err := h.core.Staff(ctx)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	b := sitesBody{Tree: siteTree(sites, staff), Sites: sites, Edit: edit, CanEdit: op.Role.Can(PermSites),
		Roles: []checkpoint.Role{checkpoint.RoleScanner, checkpoint.RoleSupervisor}}
	h.render(w, r, status, pageData{Page: "sites", Nav: "sites", Op: op, Error: errKey, Body: b})
}

func (h *handler) sitesPage(w http.ResponseWriter, r *http.Request, op Operator) {
	var edit *checkpoint.Site
	if id := r.URL.Query().Get("edit"); id != "" && len(id) <= checkpoint.MaxIDLen {
		if s, err := h.db.Site(r.Context(), id); err == nil {
			edit = &s
		}
	}
	h.renderSites(w, r, op, http.StatusOK, "", edit)
}

func formSite(r *http.Request) checkpoint.Site {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return checkpoint.Site{ID: v("id"), ParentID: v("parent_id"), Name: v("name"), Address: v("address"), Contact: v("contact"),
		Phone: v("phone"), Division: v("division"), Remarks: v("remarks"), Active: r.PostFormValue("active") != "0"}
}

// siteSave creates a site (update empty) or replaces one (update=1), checked by the core.
func (h *handler) siteSave(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	site, update := formSite(r), r.PostFormValue("update") == "1"
	if update {
		// The form does not carry what it does not show: keep the rest as it is.
		cur, err := h.db.Site(r.Context(), site.ID)
		if err == nil {
			site.Active = cur.Active
		}
	}
	h.putSite(w, r, op, site, !update)
}

func (h *handler) putSite(w http.ResponseWriter, r *http.Request, op Operator, site checkpoint.Site, create bool) {
	prev, saved, err := h.core.SaveSite(r.Context(), site, create)
	key := ""
	switch {
	case errors.Is(err, hq.ErrBadInput):
		key = "err_site_form"
	case errors.Is(err, hq.ErrSiteExists):
		key = "err_site_exists"
	case errors.Is(err, hq.ErrSiteNotFound):
		key = "err_site_gone"
	case errors.Is(err, hq.ErrSiteParent):
		key = "err_site_parent"
	case errors.Is(err, hq.ErrSiteCycle):
		key = "err_site_cycle"
	case err != nil:
		h.internal(w, r, err)
		return
	}
	if key != "" {
		var edit *checkpoint.Site
		if !create {
			edit = &site
		}
		h.renderSites(w, r, op, http.StatusBadRequest, key, edit)
		return
	}
	if create {
		h.audit(r, op, hq.AuditSiteCreate, saved.ID, nil, saved)
	} else {
		h.audit(r, op, hq.AuditSiteUpdate, saved.ID, prev, saved)
	}
	http.Redirect(w, r, Prefix+"sites?done=saved", http.StatusSeeOther)
}

// siteActive deactivates (active=0) or reactivates a site.
func (h *handler) siteActive(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	id := r.PostFormValue("id")
	if id == "" || len(id) > checkpoint.MaxIDLen {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	cur, err := h.db.Site(r.Context(), id)
	if err != nil {
		h.renderSites(w, r, op, http.StatusNotFound, "err_site_gone", nil)
		return
	}
	cur.Active = r.PostFormValue("active") == "1"
	h.putSite(w, r, op, cur, false)
}

// staffAdd adds a staff account (the phone and name are kept only as HQ keeps them: hashed and
// masked).
func (h *handler) staffAdd(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	req := hq.StaffRequest{Phone: strings.TrimSpace(r.PostFormValue("phone")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Role: checkpoint.Role(r.PostFormValue("role")), SiteID: r.PostFormValue("site_id"), Password: r.PostFormValue("password")}
	if req.Role != checkpoint.RoleScanner && req.Role != checkpoint.RoleSupervisor {
		h.renderSites(w, r, op, http.StatusBadRequest, "err_staff_form", nil)
		return
	}
	st, err := h.core.PutStaff(r.Context(), req)
	switch {
	case errors.Is(err, hq.ErrBadInput):
		h.renderSites(w, r, op, http.StatusBadRequest, "err_staff_form", nil)
		return
	case errors.Is(err, hq.ErrPhoneTaken):
		h.renderSites(w, r, op, http.StatusConflict, "err_staff_phone", nil)
		return
	case err != nil:
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, hq.AuditStaffCreate, st.ID, nil, hq.AuditStaffView(st))
	http.Redirect(w, r, Prefix+"sites?done=saved", http.StatusSeeOther)
}

// staffMove transfers a staff account to another site and/or (de)activates it.
func (h *handler) staffMove(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	id, site := r.PostFormValue("id"), r.PostFormValue("site_id")
	if id == "" || len(id) > checkpoint.MaxIDLen || len(site) > checkpoint.MaxIDLen {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	before, after, err := h.core.MoveStaff(r.Context(), id, site, r.PostFormValue("active") != "0")
	switch {
	case errors.Is(err, hq.ErrStaffMissing):
		h.renderSites(w, r, op, http.StatusNotFound, "err_staff_gone", nil)
		return
	case errors.Is(err, hq.ErrBadInput):
		h.renderSites(w, r, op, http.StatusBadRequest, "err_site_gone", nil)
		return
	case err != nil:
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, hq.AuditStaffUpdate, id, hq.AuditStaffView(before), hq.AuditStaffView(after))
	http.Redirect(w, r, Prefix+"sites?done=saved#site-"+url.PathEscape(site), http.StatusSeeOther)
}

// staffCellData is one staff member in the site tree, with what its forms need.
type staffCellData struct {
	Page    any
	Staff   hq.StaffView
	Sites   []checkpoint.Site
	CanEdit bool
}

func staffCell(p any, b sitesBody, st hq.StaffView) staffCellData {
	return staffCellData{Page: p, Staff: st, Sites: b.Sites, CanEdit: b.CanEdit}
}
