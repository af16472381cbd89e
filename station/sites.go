package station

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/passwd"
	"github.com/yongji-county/checkpoint/store"
)

// MinPasswordLen is the shortest initial password a supervisor may give new staff.
const MinPasswordLen = 8

var errNotSupervisor = problem("not_supervisor", "只有站点管理员可以管理站点", "only supervisors manage sites", nil)

// Sites returns the supervisor's own site and every site below it, parents before children.
func (st *Station) Sites(ctx context.Context, s Session) ([]checkpoint.Site, error) {
	if !s.Supervisor {
		return nil, errNotSupervisor
	}
	all, err := st.db.Sites(ctx)
	if err != nil {
		return nil, errStore(err)
	}
	return subtree(all, s.SiteID), nil
}

// subtree lists root and its descendants depth-first, children in the order given.
func subtree(all []checkpoint.Site, root string) []checkpoint.Site {
	children := map[string][]checkpoint.Site{}
	var top *checkpoint.Site
	for i := range all {
		children[all[i].ParentID] = append(children[all[i].ParentID], all[i])
		if all[i].ID == root {
			top = &all[i]
		}
	}
	if top == nil {
		return nil
	}
	out := []checkpoint.Site{*top}
	seen := map[string]bool{root: true}
	var walk func(id string)
	walk = func(id string) {
		for _, c := range children[id] {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			out = append(out, c)
			walk(c.ID)
		}
	}
	walk(root)
	return out
}

func inSubtree(all []checkpoint.Site, root, id string) bool {
	for _, s := range subtree(all, root) {
		if s.ID == id {
			return true
		}
	}
	return false
}

// SaveSite adds (添加站点) or edits (编辑 → 确认) a site below the supervisor's own. Required fields
// are checked with a message naming the field.
func (st *Station) SaveSite(ctx context.Context, s Session, site checkpoint.Site, created bool) error {
	if !s.Supervisor {
		return errNotSupervisor
	}
	site.Name, site.Address, site.Contact = strings.TrimSpace(site.Name), strings.TrimSpace(site.Address), strings.TrimSpace(site.Contact)
	site.Phone, site.Division, site.Remarks = strings.TrimSpace(site.Phone), strings.TrimSpace(site.Division), strings.TrimSpace(site.Remarks)
	if created {
		site.ID = "site-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
		site.Active = true
	}
	for _, f := range []struct{ v, zh, en string }{
		{site.Name, "请填写站点名称", "site name is required"},
		{site.Address, "请填写站点地址", "address is required"},
		{site.Contact, "请填写负责人", "person in charge is required"},
		{site.Phone, "请填写联系电话", "contact phone is required"},
	} {
		if f.v == "" {
			return problem("site_required", f.zh, f.en, nil)
		}
	}
	if site.Division != "" && !checkpoint.ValidDivisionCode(site.Division) {
		return problem("site_division", "行政区划代码应为6位数字", "division code must be 6 digits", nil)
	}
	if utf8.RuneCountInString(site.Phone) > 20 || !isPhoneLike(site.Phone) {
		return problem("site_phone", "联系电话格式不正确", "contact phone is not a phone number", nil)
	}
	all, err := st.db.Sites(ctx)
	if err != nil {
		return errStore(err)
	}
	scope := problem("site_scope", "只能管理本站点及下级站点", "you can only manage your own site and the sites below it", nil)
	switch {
	case created && !inSubtree(all, s.SiteID, site.ParentID):
		return scope
	case !created && !inSubtree(all, s.SiteID, site.ID):
		return scope
	case !created && site.ID == s.SiteID:
		// A supervisor edits their own site's details but cannot move it.
		for _, x := range all {
			if x.ID == site.ID {
				site.ParentID = x.ParentID
			}
		}
	case !created && !inSubtree(all, s.SiteID, site.ParentID):
		return scope
	}
	site.UpdatedAt = st.now().UTC()
	if err := site.Validate(); err != nil {
		return problem("site_invalid", "站点信息不完整或过长", "site details are incomplete or too long", err)
	}
	// The edit names the version it was made from; HQ applies it only on top of that one and
	// otherwise answers superseded, which the supervisor then sees (Notices).
	var base checkpoint.EditBase
	if !created {
		if base, err = st.db.EditBase(ctx, "sites", site.ID); err != nil {
			return errStore(err)
		}
	}
	m := st.meta(s)
	if _, err := st.db.SaveSiteEdit(ctx, m, checkpoint.SiteEdit{Site: site, Created: created, EditBase: base}); err != nil {
		return errStore(err)
	}
	st.afterRecord()
	return nil
}

func isPhoneLike(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9') && r != '-' && r != ' ' && r != '+' {
			return false
		}
	}
	return s != ""
}

// AddStaff adds scanner staff (添加扫码员) to a site below the supervisor. The password is hashed
// here; HQ adds the account to the roster and every kiosk of the site gets it at its next sync.
func (st *Station) AddStaff(ctx context.Context, s Session, n NewStaff) error {
	if !s.Supervisor {
		return errNotSupervisor
	}
	phone, err := checkpoint.ParsePhone(n.Phone)
	if err != nil {
		return problem("phone", "手机号格式不正确（11位手机号）", "not a valid mobile number (11 digits)", err)
	}
	name, err := checkpoint.ParseName(n.Name)
	if err != nil {
		return problem("name", "姓名应为1–30个字（汉字、字母或间隔号·）", "name must be 1–30 letters (Chinese, Latin or the middle dot ·)", err)
	}
	if utf8.RuneCountInString(n.Password) < MinPasswordLen || len(n.Password) > 128 {
		return problem("password", "初始密码至少8位", "the initial password needs at least 8 characters", nil)
	}
	// Supervisors add scanner staff only; HQ appoints supervisors.
	role := checkpoint.Role(n.Role)
	if role == "" {
		role = checkpoint.RoleScanner
	}
	if role != checkpoint.RoleScanner {
		return problem("staff_role", "站点管理员只能添加扫码员", "supervisors can add scanner staff only", nil)
	}
	all, err := st.db.Sites(ctx)
	if err != nil {
		return errStore(err)
	}
	if !inSubtree(all, s.SiteID, n.SiteID) {
		return problem("site_scope", "只能为本站点及下级站点添加扫码员", "you can only add staff to your own site and the sites below it", nil)
	}
	noSettings := problem("no_settings", "本机尚未从总部同步配置，暂不能添加扫码员", "no settings from HQ yet: sync before adding staff", nil)
	lookup, err := st.phoneLookup(ctx, phone)
	if errors.Is(err, store.ErrNoStaffSalt) {
		return noSettings
	} else if err != nil {
		return errStore(err)
	}
	if _, err := st.db.StaffByPhoneLookup(ctx, lookup); err == nil {
		return problem("staff_exists", "该手机号已是工作人员", "this phone number already belongs to staff", nil)
	}
	pw, err := passwd.Hash(n.Password)
	if err != nil {
		return errStore(err)
	}
	// The kiosk keeps the lookup value it made (so the new staff member can log in before the
	// next sync) and the phone only sealed to HQ, which makes the account's own lookup value and
	// checks that no other account has the phone.
	staff := checkpoint.Staff{ID: "staff-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12], PhoneLookup: lookup,
		NameMasked: name.Masked(), Role: role, SiteID: n.SiteID, PasswordHash: pw,
		Active: true, UpdatedAt: st.now().UTC()}
	m := st.meta(s)
	_, err = st.db.SaveStaffAdd(ctx, m, checkpoint.StaffAdd{Staff: staff}, checkpoint.Personal{Name: name.Full(), Phone: phone.Full()})
	if errors.Is(err, store.ErrNoSealKey) {
		return noSettings
	} else if err != nil {
		return errStore(err)
	}
	st.afterRecord()
	return nil
}

// QueryLog returns log rows for review. Supervisors see their sites; scanner staff their own checks.
func (st *Station) QueryLog(ctx context.Context, s Session, f LogFilter) ([]LogRow, int, error) {
	sf, err := storeFilter(s, f)
	if err != nil {
		return nil, 0, err
	}
	entries, total, err := st.db.QueryLog(ctx, sf)
	if err != nil {
		return nil, 0, errStore(err)
	}
	rows := make([]LogRow, 0, len(entries))
	for _, e := range entries {
		rows = append(rows, logRow(e))
	}
	return rows, total, nil
}

// Notice is an edit of the supervisor's kiosk that HQ did not apply, for the site management
// screen: Code is checkpoint.ResultSuperseded (HQ already had a newer version), Kind says whether
// a site or a staff account, Name is what the edit called it.
type Notice struct {
	Kind checkpoint.RecordKind
	ID   string
	Name string
	Code string
	At   time.Time
}

// Notices lists the edits HQ did not apply, newest first. The site or account shows HQ's version
// from the next sync on (or at once, when the kiosk already holds it).
func (st *Station) Notices(ctx context.Context, s Session) ([]Notice, error) {
	if !s.Supervisor {
		return nil, errNotSupervisor
	}
	list, err := st.db.Notices(ctx)
	if err != nil {
		return nil, errStore(err)
	}
	out := make([]Notice, 0, len(list))
	for _, n := range list {
		out = append(out, Notice{Kind: n.Kind, ID: n.SubjectID, Name: n.SubjectName, Code: n.Code, At: n.At})
	}
	return out, nil
}
