package hq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/internal/httpx"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/passwd"
)

// badRequest answers 400 with a message and counts it.
func (s *Server) badRequest(w http.ResponseWriter, code, msg string) {
	s.metrics.add(cntBadRequest, 1)
	httpx.WriteError(w, http.StatusBadRequest, code, msg)
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	s.flush()
	st, err := ReadStats(r.Context(), s.db)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, st)
}

func (s *Server) handleGetRisk(w http.ResponseWriter, r *http.Request) {
	v, err := s.setting(r.Context(), setRiskAreas)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write([]byte(v))
}

// SetRiskAreas replaces the risk-area list (validated) and bumps its version.
func (s *Server) SetRiskAreas(ctx context.Context, l checkpoint.RiskList) error {
	if l == nil {
		l = checkpoint.RiskList{}
	}
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("hq: set risk areas: %w", err)
	}
	if _, err := checkpoint.ParseRiskList(b); err != nil {
		return fmt.Errorf("hq: set risk areas: %w", err)
	}
	if err := s.db.SetSetting(ctx, setRiskAreas, string(b), checkpoint.DatasetRisk); err != nil {
		return fmt.Errorf("hq: set risk areas: %w", err)
	}
	return nil
}

func (s *Server) handlePutRisk(w http.ResponseWriter, r *http.Request) {
	data, ok := s.readBody(w, r, 1<<20)
	if !ok {
		return
	}
	l, err := checkpoint.ParseRiskList(data)
	if err != nil {
		s.badRequest(w, "bad_risk_list", "风险地区列表无效 / invalid risk-area list: "+err.Error())
		return
	}
	before, _ := s.setting(r.Context(), setRiskAreas)
	if err := s.SetRiskAreas(r.Context(), l); err != nil {
		s.internal(w, r, err)
		return
	}
	s.auditAdmin(r, AuditRiskAreasPut, auditRiskAreasScope, json.RawMessage(before), l)
	httpx.WriteJSON(w, http.StatusOK, map[string]int{"areas": len(l)})
}

// PersonStatusRequest is the body of POST /api/v1/admin/people/status: one of CodeID, PersonID
// or IDNumber names the person.
type PersonStatusRequest struct {
	CodeID   string `json:"code_id,omitempty"`
	PersonID string `json:"person_id,omitempty"`
	IDNumber string `json:"id_number,omitempty"`
	Status   string `json:"status"`
	Reason   string `json:"reason,omitempty"`
}

// PersonStatusResponse answers it.
type PersonStatusResponse struct {
	PersonID     string `json:"person_id"`
	Status       string `json:"status"`
	RevokedCodes int64  `json:"revoked_codes"` // unexpired codes of another colour, now revoked
}

// findPerson resolves a person by code id, person id or ID number.
func (s *Server) findPerson(ctx context.Context, codeID, personID, idNumber string) (sqldb.Person, error) {
	switch {
	case codeID != "":
		c, err := s.db.Code(ctx, codeID)
		if err != nil {
			return sqldb.Person{}, err
		}
		return s.db.Person(ctx, c.PersonID)
	case personID != "":
		return s.db.Person(ctx, personID)
	case idNumber != "":
		id, err := checkpoint.ParseResidentID(idNumber)
		if err != nil {
			return sqldb.Person{}, err
		}
		hk, err := s.personHashKey(ctx)
		if err != nil {
			return sqldb.Person{}, err
		}
		return s.db.PersonByIDHash(ctx, keyedHash(hk, id.Full()))
	}
	return sqldb.Person{}, sqldb.ErrNotFound
}

func (s *Server) handlePersonStatus(w http.ResponseWriter, r *http.Request) {
	var req PersonStatusRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	st, err := checkpoint.ParseStatus(req.Status)
	if err != nil {
		s.badRequest(w, "bad_status", "状态必须是 green、yellow 或 red / status must be green, yellow or red")
		return
	}
	if !checkpoint.ValidReason(req.Reason) {
		s.badRequest(w, "bad_reason", fmt.Sprintf("原因最多 %d 个可打印字符，首尾不能有空格 / reason: at most %d printable characters, no leading or trailing space",
			checkpoint.MaxReasonLen, checkpoint.MaxReasonLen))
		return
	}
	p, err := s.findPerson(r.Context(), req.CodeID, req.PersonID, req.IDNumber)
	if errors.Is(err, sqldb.ErrNotFound) {
		httpx.WriteError(w, http.StatusNotFound, "person_not_found", "找不到此人 / no such person (give code_id, person_id or id_number)")
		return
	}
	if err != nil {
		s.badRequest(w, "bad_person", "身份信息无效 / invalid person reference")
		return
	}
	n, err := s.db.SetPersonStatus(r.Context(), sqldb.StatusChange{PersonID: p.ID, Status: string(st), Reason: req.Reason, At: s.now(), Actor: AuditAdminToken})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.auditAdmin(r, AuditPersonStatus, p.ID, map[string]string{"status": p.Status, "reason": p.Reason},
		map[string]any{"status": st, "reason": req.Reason, "revoked_codes": n})
	httpx.WriteJSON(w, http.StatusOK, PersonStatusResponse{PersonID: p.ID, Status: string(st), RevokedCodes: n})
}

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := s.db.RevokeCode(r.Context(), id, s.now())
	if errors.Is(err, sqldb.ErrNotFound) {
		httpx.WriteError(w, http.StatusNotFound, "code_not_found", "找不到此码 / no such code")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.auditAdmin(r, AuditCodeRevoke, id, nil, map[string]bool{"revoked": true})
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"code_id": id, "revoked": true})
}

// IssueRequest is the body of POST /api/v1/codes.
type IssueRequest struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	Kind     string `json:"kind,omitempty"` // live (default) or printed
	// Household is the household registration division code (6 digits), stored with the person.
	// Empty: keep the one on record, or, for a new person, the region of the ID number.
	Household string `json:"household,omitempty"`
}

// IssueResponse answers it: Code is the text to put in the QR.
type IssueResponse struct {
	PersonID  string    `json:"person_id"`
	CodeID    string    `json:"code_id"`
	Code      string    `json:"code"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	Reason    string    `json:"reason,omitempty"`
	Household string    `json:"household"`
	ExpiresAt time.Time `json:"expires_at"`
}

// errInput marks an IssueCode failure caused by its input.
var errInput = errors.New("hq: invalid input")

// IssueCode issues a health code for a person (created on first issue, green) with HQ's
// current key and the person's colour as it is when the code is recorded: the status read and
// the code's record are one transaction, so a concurrent change of colour revokes the code or
// is in it. A live code lives for the rules' live TTL, a printed one for the kind's default.
func (s *Server) IssueCode(ctx context.Context, req IssueRequest) (IssueResponse, error) {
	name, err := checkpoint.ParseName(req.Name)
	if err != nil {
		return IssueResponse{}, fmt.Errorf("%w: %w", errInput, err)
	}
	id, err := checkpoint.ParseResidentID(req.IDNumber)
	if err != nil {
		return IssueResponse{}, fmt.Errorf("%w: %w", errInput, err)
	}
	kind := checkpoint.KindLive
	if req.Kind != "" {
		if kind, err = checkpoint.ParseCodeKind(req.Kind); err != nil {
			return IssueResponse{}, fmt.Errorf("%w: %w", errInput, err)
		}
	}
	if req.Household != "" && !checkpoint.ValidDivisionCode(req.Household) {
		return IssueResponse{}, fmt.Errorf("%w: household %q is not a 6-digit division code", errInput, req.Household)
	}
	hk, err := s.personHashKey(ctx)
	if err != nil {
		return IssueResponse{}, fmt.Errorf("hq: issue code: %w", err)
	}
	now := s.now()
	h := keyedHash(hk, id.Full())
	household := req.Household
	if household == "" {
		household = id.Region()
	}
	// The holder id is assigned once, at random, when the person is first created (or first
	// issued a code after holder ids came in): nothing about the person derives it.
	fresh := sqldb.Person{ID: "p-" + h[:24], HolderID: checkpoint.NewHolderID(), Name: name.Full(), IDMasked: id.Masked(), IDHash: h,
		Household: household, Status: string(checkpoint.StatusGreen), UpdatedAt: now}
	p, code, text, err := s.issueFor(ctx, fresh, req.Household, name.Full(), kind, now)
	if err != nil {
		return IssueResponse{}, err
	}
	return IssueResponse{PersonID: p.ID, CodeID: code.ID, Code: text, Kind: code.Kind, Status: code.Status, Reason: p.Reason, Household: p.Household,
		ExpiresAt: code.ExpiresAt}, nil
}

// issueFor issues a code of kind to the person fresh.ID (created as fresh if new; household,
// when not empty, replaces theirs) under name, signed as of now, in one transaction with the
// read of the person's colour (sqldb.IssueCode). It returns the person as the code describes
// them, the code's record and its text.
func (s *Server) issueFor(ctx context.Context, fresh sqldb.Person, household, name string, kind checkpoint.CodeKind, now time.Time) (sqldb.Person, sqldb.Code, string, error) {
	ttl := kind.DefaultTTL()
	if kind == checkpoint.KindLive {
		if rules, err := s.rules(ctx); err == nil {
			ttl = rules.LiveTTL
		}
	}
	is, err := s.issuer(ctx, now)
	if err != nil {
		return sqldb.Person{}, sqldb.Code{}, "", fmt.Errorf("hq: issue code: %w", err)
	}
	var text string
	p, code, err := s.db.IssueCode(ctx, fresh, household, func(p sqldb.Person) (sqldb.Code, error) {
		t, c, err := is.Issue(checkpoint.Claims{HolderID: p.HolderID, Name: name, IDMasked: p.IDMasked, Household: p.Household,
			Status: checkpoint.Status(p.Status), Reason: p.Reason, Kind: kind, IssuedAt: now, ExpiresAt: now.Add(ttl)}, now)
		if err != nil {
			return sqldb.Code{}, err
		}
		text = t
		return sqldb.Code{ID: c.CodeID, Kind: string(c.Kind), KeyID: c.KID, Status: string(c.Status),
			IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt}, nil
	})
	if err != nil {
		return sqldb.Person{}, sqldb.Code{}, "", fmt.Errorf("hq: issue code: %w", err)
	}
	return p, code, text, nil
}

func (s *Server) handleIssueCode(w http.ResponseWriter, r *http.Request) {
	var req IssueRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	resp, err := s.IssueCode(r.Context(), req)
	switch {
	case errors.Is(err, errInput):
		s.badRequest(w, "bad_person", "姓名、身份证号、户籍地或码类型无效 / invalid name, ID number, household or kind: "+strings.TrimPrefix(err.Error(), errInput.Error()+": "))
	case errors.Is(err, errNoKey):
		httpx.WriteError(w, http.StatusConflict, "no_issuing_key", "没有可用的签发密钥，请先生成 / no issuing key valid now: create one first")
	case errors.Is(err, checkpoint.ErrInvalidClaims):
		httpx.WriteError(w, http.StatusConflict, "invalid_claims", "此人的状态或原因无法写入健康码，请重新设置状态 / the person's status or reason cannot go into a code: set the status again")
	case errors.Is(err, checkpoint.ErrCodeTooLarge):
		s.badRequest(w, "code_too_large", "姓名过长，健康码放不下 / the name is too long to fit in a code")
	case err != nil:
		s.internal(w, r, err)
	default:
		httpx.WriteJSON(w, http.StatusOK, resp)
	}
}

func (s *Server) handleListSites(w http.ResponseWriter, r *http.Request) {
	sites, err := s.db.Sites(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if sites == nil {
		sites = []checkpoint.Site{}
	}
	httpx.WriteJSON(w, http.StatusOK, sites)
}

func (s *Server) saveSite(w http.ResponseWriter, r *http.Request, site checkpoint.Site, create bool) {
	ctx := r.Context()
	if err := site.Validate(); err != nil {
		s.badRequest(w, "invalid_site", "站点信息不完整或无效 / "+err.Error())
		return
	}
	_, err := s.db.Site(ctx, site.ID)
	exists := err == nil
	if err != nil && !errors.Is(err, sqldb.ErrNotFound) {
		s.internal(w, r, err)
		return
	}
	if create && exists {
		httpx.WriteError(w, http.StatusConflict, "site_exists", "站点编号已存在 / a site with this id exists")
		return
	}
	if !create && !exists {
		httpx.WriteError(w, http.StatusNotFound, "site_not_found", "找不到此站点 / no such site")
		return
	}
	if site.ParentID != "" {
		_, sn, err := s.current(ctx)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if _, ok := sn.parent[site.ParentID]; !ok {
			s.badRequest(w, "parent_not_found", "上级站点不存在 / parent site does not exist")
			return
		}
		if under(sn.parentOf, site.ParentID, site.ID) {
			s.badRequest(w, "site_cycle", "不能把站点移到它自己的下级 / a site cannot move below itself")
			return
		}
	}
	prev, _ := s.db.Site(ctx, site.ID)
	site.UpdatedAt = s.now().UTC()
	if err := s.db.PutSite(ctx, site); err != nil {
		s.internal(w, r, err)
		return
	}
	s.auditSite(r, create, exists, prev, site)
	status := http.StatusOK
	if create {
		status = http.StatusCreated
	}
	httpx.WriteJSON(w, status, site)
}

func (s *Server) handleCreateSite(w http.ResponseWriter, r *http.Request) {
	var site checkpoint.Site
	if !s.readJSON(w, r, &site) {
		return
	}
	s.saveSite(w, r, site, true)
}

func (s *Server) handleUpdateSite(w http.ResponseWriter, r *http.Request) {
	var site checkpoint.Site
	if !s.readJSON(w, r, &site) {
		return
	}
	if site.ID == "" {
		site.ID = r.PathValue("id")
	}
	if site.ID != r.PathValue("id") {
		s.badRequest(w, "id_mismatch", "路径与内容中的站点编号不一致 / site id in path and body differ")
		return
	}
	s.saveSite(w, r, site, false)
}

// StaffRequest is the body of POST /api/v1/admin/staff. HQ keeps only its keyed hash of the
// phone (one account per phone), the masked phone (for operators), the roster's slow lookup
// value of the phone, the masked name and the argon2id hash of the password.
type StaffRequest struct {
	ID       string          `json:"id,omitempty"` // empty: HQ makes one
	Phone    string          `json:"phone"`
	Name     string          `json:"name"`
	Role     checkpoint.Role `json:"role"`
	SiteID   string          `json:"site_id"`
	Password string          `json:"password"`
	Active   *bool           `json:"active,omitempty"` // default true
}

// StaffView is a staff account as the admin API shows it: the roster entry and the masked phone.
type StaffView struct {
	checkpoint.Staff
	PhoneMasked string `json:"phone_masked"`
}

// errPhoneTaken is returned by PutStaff when another account has the phone number.
var errPhoneTaken = errors.New("hq: phone number already has a staff account")

// PutStaff creates or replaces a staff account from clear values. It fails with errPhoneTaken
// when another account has the phone number.
func (s *Server) PutStaff(ctx context.Context, req StaffRequest) (StaffView, error) {
	ph, err := checkpoint.ParsePhone(req.Phone)
	if err != nil {
		return StaffView{}, fmt.Errorf("%w: %w", errInput, err)
	}
	name, err := checkpoint.ParseName(req.Name)
	if err != nil {
		return StaffView{}, fmt.Errorf("%w: %w", errInput, err)
	}
	if n := len([]rune(req.Password)); n < 8 || n > 128 {
		return StaffView{}, fmt.Errorf("%w: password must be 8 to 128 characters", errInput)
	}
	if _, err := s.db.Site(ctx, req.SiteID); err != nil {
		return StaffView{}, fmt.Errorf("%w: site_id: %w", errInput, err)
	}
	pw, err := passwd.Hash(req.Password)
	if err != nil {
		return StaffView{}, fmt.Errorf("hq: put staff: %w", err)
	}
	st := checkpoint.Staff{ID: req.ID, NameMasked: checkpoint.MaskName(name.Full()), Role: req.Role, SiteID: req.SiteID,
		PasswordHash: pw, Active: req.Active == nil || *req.Active, UpdatedAt: s.now().UTC()}
	if st.ID == "" {
		st.ID = "st-" + uuid.NewString()
	}
	a, err := s.staffAccount(ctx, st, ph)
	if err != nil {
		return StaffView{}, fmt.Errorf("hq: put staff: %w", err)
	}
	v := StaffView{Staff: a.Staff, PhoneMasked: a.PhoneMasked}
	if err := a.Validate(); err != nil {
		return v, fmt.Errorf("%w: %w", errInput, err)
	}
	if err := s.db.PutStaff(ctx, a); errors.Is(err, sqldb.ErrPhoneTaken) {
		return v, errPhoneTaken
	} else if err != nil {
		return v, fmt.Errorf("hq: put staff: %w", err)
	}
	return v, nil
}

func (s *Server) handleCreateStaff(w http.ResponseWriter, r *http.Request) {
	var req StaffRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	st, err := s.PutStaff(r.Context(), req)
	if errors.Is(err, errInput) {
		s.badRequest(w, "invalid_staff", "工作人员信息无效 / invalid staff: "+strings.TrimPrefix(err.Error(), errInput.Error()+": "))
		return
	}
	if errors.Is(err, errPhoneTaken) {
		httpx.WriteError(w, http.StatusConflict, "phone_taken", msgPhoneTaken)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.auditAdmin(r, AuditStaffCreate, st.ID, nil, auditStaff(st))
	st.PasswordHash = ""
	httpx.WriteJSON(w, http.StatusCreated, st)
}

func (s *Server) handleListStaff(w http.ResponseWriter, r *http.Request) {
	list, err := s.db.AllStaff(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := make([]StaffView, 0, len(list))
	for _, a := range list {
		a.PasswordHash = ""
		out = append(out, StaffView{Staff: a.Staff, PhoneMasked: a.PhoneMasked})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// EnrollCodeRequest is the body of POST /api/v1/admin/enroll-codes.
// Replaces names a device the new kiosk succeeds (a replaced or re-enrolled kiosk): HQ then
// accepts that device's queued records from the new one. With Replaces, SiteID may be empty
// (the old device's site).
type EnrollCodeRequest struct {
	SiteID   string `json:"site_id"`
	TTLHours int    `json:"ttl_hours,omitempty"` // default 24
	Replaces string `json:"replaces,omitempty"`
}

// EnrollCodeResponse answers it. Code is the secret followed by RootID, the fingerprint of
// HQ's root key that the kiosk pins.
type EnrollCodeResponse struct {
	Code      string    `json:"code"`
	SiteID    string    `json:"site_id"`
	Replaces  string    `json:"replaces,omitempty"`
	RootID    string    `json:"root_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CreateEnrollCode makes a one-time enrollment code for a kiosk at siteID.
func (s *Server) CreateEnrollCode(ctx context.Context, siteID string, ttl time.Duration) (EnrollCodeResponse, error) {
	return s.CreateReplacementCode(ctx, siteID, "", ttl)
}

// CreateReplacementCode makes a one-time enrollment code for a kiosk that succeeds device
// replaces (empty: none), at siteID (empty: the old device's site).
func (s *Server) CreateReplacementCode(ctx context.Context, siteID, replaces string, ttl time.Duration) (EnrollCodeResponse, error) {
	if ttl <= 0 {
		ttl = s.enrollTTL
	}
	now := s.now()
	pub, _, err := rootChain(ctx, s.db)
	if err != nil {
		return EnrollCodeResponse{}, fmt.Errorf("hq: enroll code: %w", err)
	}
	if siteID == "" && replaces != "" {
		old, err := s.db.Device(ctx, replaces)
		if err != nil {
			return EnrollCodeResponse{}, fmt.Errorf("hq: enroll code: %w", err)
		}
		siteID = old.SiteID
	}
	secret, err := s.db.CreateReplacementCode(ctx, siteID, replaces, ttl, now)
	if err != nil {
		return EnrollCodeResponse{}, fmt.Errorf("hq: enroll code: %w", err)
	}
	rootID := checkpoint.RootID(pub)
	return EnrollCodeResponse{Code: checkpoint.FormatEnrollCode(secret, rootID), SiteID: siteID, Replaces: replaces, RootID: rootID,
		ExpiresAt: now.Add(ttl).UTC()}, nil
}

func (s *Server) handleEnrollCode(w http.ResponseWriter, r *http.Request) {
	var req EnrollCodeRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	if req.TTLHours < 0 || req.TTLHours > 24*30 {
		s.badRequest(w, "bad_ttl", "有效期必须在 1 到 720 小时之间 / ttl_hours must be 1 to 720")
		return
	}
	if len(req.Replaces) > checkpoint.MaxIDLen {
		s.badRequest(w, "bad_request", "replaces 过长 / replaces is too long")
		return
	}
	resp, err := s.CreateReplacementCode(r.Context(), req.SiteID, req.Replaces, time.Duration(req.TTLHours)*time.Hour)
	if errors.Is(err, sqldb.ErrNotFound) && req.Replaces != "" {
		if _, derr := s.db.Device(r.Context(), req.Replaces); errors.Is(derr, sqldb.ErrNotFound) {
			httpx.WriteError(w, http.StatusNotFound, "device_not_found", "找不到要替换的设备 / no such device to replace")
			return
		}
	}
	if errors.Is(err, sqldb.ErrNotFound) {
		httpx.WriteError(w, http.StatusNotFound, "site_not_found", "找不到此站点 / no such site")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.auditAdmin(r, AuditEnrollCode, resp.SiteID, nil, map[string]any{"site_id": resp.SiteID, "replaces": resp.Replaces, "expires_at": resp.ExpiresAt})
	httpx.WriteJSON(w, http.StatusCreated, resp)
}

// KeyInfo describes an issuing key (never its private half).
type KeyInfo struct {
	KID          string              `json:"kid"`
	PublicKey    string              `json:"public_key"`
	State        checkpoint.KeyState `json:"state"` // active, retired or distrusted
	NotBefore    time.Time           `json:"not_before"`
	NotAfter     time.Time           `json:"not_after,omitzero"`
	RetiredAt    time.Time           `json:"retired_at,omitzero"`
	DistrustedAt time.Time           `json:"distrusted_at,omitzero"`
}

func (s *Server) handleListKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := s.db.Keys(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := make([]KeyInfo, 0, len(keys))
	for _, k := range keys {
		out = append(out, KeyInfo{KID: k.ID, PublicKey: k.Public, State: k.State, NotBefore: k.NotBefore, NotAfter: k.NotAfter,
			RetiredAt: k.RetiredAt, DistrustedAt: k.DistrustedAt})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// NewKeyRequest is the body of POST /api/v1/admin/keys.
type NewKeyRequest struct {
	ValidDays int  `json:"valid_days,omitempty"` // default 365
	Rotate    bool `json:"rotate,omitempty"`     // retire every other issuing key now
}

func (s *Server) handleNewKey(w http.ResponseWriter, r *http.Request) {
	var req NewKeyRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	if req.ValidDays < 0 || req.ValidDays > 3650 {
		s.badRequest(w, "bad_validity", "有效天数必须在 1 到 3650 之间 / valid_days must be 1 to 3650")
		return
	}
	tk, err := s.NewIssuingKey(r.Context(), time.Duration(req.ValidDays)*24*time.Hour, req.Rotate)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.auditAdmin(r, AuditKeyCreate, tk.KID, nil, map[string]any{"kid": tk.KID, "rotate": req.Rotate, "valid_days": req.ValidDays})
	httpx.WriteJSON(w, http.StatusCreated, tk)
}

func (s *Server) handleRetireKey(w http.ResponseWriter, r *http.Request) {
	kid := r.PathValue("kid")
	err := s.db.RetireKey(r.Context(), kid, s.now())
	if errors.Is(err, sqldb.ErrNotFound) {
		httpx.WriteError(w, http.StatusNotFound, "key_not_found", "找不到此密钥或已停用 / no such key, or already retired")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.auditAdmin(r, AuditKeyRetire, kid, nil, map[string]any{"state": checkpoint.KeyRetired})
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"kid": kid, "retired": true})
}

// handleDistrustKey marks a compromised key distrusted: every code it signed stops verifying on
// each kiosk at its next pull, and at once for kiosks that ask HQ for the live status.
func (s *Server) handleDistrustKey(w http.ResponseWriter, r *http.Request) {
	kid := r.PathValue("kid")
	err := s.db.DistrustKey(r.Context(), kid, s.now())
	if errors.Is(err, sqldb.ErrNotFound) {
		httpx.WriteError(w, http.StatusNotFound, "key_not_found", "找不到此密钥或已停止信任 / no such key, or already distrusted")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.log.Warn("hq: issuing key distrusted", "kid", kid)
	s.auditAdmin(r, AuditKeyDistrust, kid, nil, map[string]any{"state": checkpoint.KeyDistrusted})
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"kid": kid, "distrusted": true})
}

// SettingsRequest is the body of PUT /api/v1/admin/settings; absent fields stay as they are.
type SettingsRequest struct {
	Rules         *checkpoint.Config `json:"rules,omitempty"`
	RetentionDays *int               `json:"retention_days,omitempty"`
}

func (s *Server) handleGetSettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.settings(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, st)
}

func (s *Server) handlePutSettings(w http.ResponseWriter, r *http.Request) {
	var req SettingsRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	ctx := r.Context()
	prevSettings, _ := s.settings(ctx)
	defer s.auditSettings(r, prevSettings)
	if req.Rules != nil {
		rules := req.Rules.WithDefaults()
		if err := rules.Validate(); err != nil {
			s.badRequest(w, "bad_rules", "规则配置无效 / invalid rules: "+err.Error())
			return
		}
		b, _ := json.Marshal(rules)
		if err := s.db.SetSetting(ctx, setRules, string(b), checkpoint.DatasetSettings); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	if req.RetentionDays != nil {
		if *req.RetentionDays < 1 || *req.RetentionDays > 3650 {
			s.badRequest(w, "bad_retention", "保留天数必须在 1 到 3650 之间 / retention_days must be 1 to 3650")
			return
		}
		if err := s.db.SetSetting(ctx, setRetentionDays, strconv.Itoa(*req.RetentionDays), checkpoint.DatasetSettings); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	s.handleGetSettings(w, r)
}

// DeviceInfo describes an enrolled kiosk (never its secret or the secret's hash).
type DeviceInfo struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	SiteID    string    `json:"site_id"`
	CreatedAt time.Time `json:"created_at"`
	Revoked   bool      `json:"revoked"`
	// Replaces is the device this one succeeds; ReplacedBy the device that succeeds it.
	Replaces   string `json:"replaces,omitempty"`
	ReplacedBy string `json:"replaced_by,omitempty"`
}

func (s *Server) handleListDevices(w http.ResponseWriter, r *http.Request) {
	devs, err := s.db.Devices(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := make([]DeviceInfo, 0, len(devs))
	for _, d := range devs {
		out = append(out, DeviceInfo{ID: d.ID, Name: d.Name, SiteID: d.SiteID, CreatedAt: d.CreatedAt, Revoked: d.Revoked,
			Replaces: d.Replaces, ReplacedBy: d.ReplacedBy})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) handleRevokeDevice(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := s.db.RevokeDevice(r.Context(), id)
	if errors.Is(err, sqldb.ErrNotFound) {
		httpx.WriteError(w, http.StatusNotFound, "device_not_found", "找不到此设备 / no such device")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.auditAdmin(r, AuditDeviceRevoke, id, map[string]bool{"revoked": false}, map[string]bool{"revoked": true})
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "revoked": true})
}
