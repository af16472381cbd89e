package hq

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/internal/httpx"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/passwd"
	"github.com/yongji-county/checkpoint/sealbox"
)

// Names in the settings table.
const (
	setSealKey       = "seal_key"        // JSON sealKey: HQ's HPKE key pair
	setPersonHashKey = "person_hash_key" // base64 HMAC key of HQ's own indexes; never sent to kiosks
	setStaffSalt     = "staff_salt"      // base64 salt of the roster's phone lookups (Settings.StaffSalt)
	setRules         = "rules"           // JSON checkpoint.Config
	setRetentionDays = "retention_days"  // decimal
	setRiskAreas     = "risk_areas"      // JSON checkpoint.RiskList
)

// DefaultRetentionDays is how long kiosks keep synced records unless the operator says otherwise.
const DefaultRetentionDays = 28

type sealKey struct {
	Public  string `json:"public"`
	Private string `json:"private"`
}

// ensureSecrets creates HQ's seal key pair, person-hash key, staff salt and default settings on
// first start (and what a newer version added, on the first start of that version). The first
// instance to write wins, so instances starting together agree.
func (s *Server) ensureSecrets(ctx context.Context) error {
	pub, priv, err := sealbox.GenerateKey()
	if err != nil {
		return fmt.Errorf("seal key: %w", err)
	}
	sk, _ := json.Marshal(sealKey{Public: base64.StdEncoding.EncodeToString(pub), Private: base64.StdEncoding.EncodeToString(priv)})
	hk := make([]byte, 32)
	rand.Read(hk)
	rules, _ := json.Marshal(checkpoint.DefaultConfig())
	for _, kv := range [][2]string{
		{setSealKey, string(sk)},
		{setPersonHashKey, base64.StdEncoding.EncodeToString(hk)},
		{setStaffSalt, base64.StdEncoding.EncodeToString(passwd.NewStaffSalt())},
		{setRules, string(rules)},
		{setRetentionDays, strconv.Itoa(DefaultRetentionDays)},
		{setRiskAreas, "[]"},
	} {
		if _, err := s.db.InitSetting(ctx, kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) setting(ctx context.Context, name string) (string, error) {
	v, ok, err := s.db.Setting(ctx, name)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("hq: setting %s missing", name)
	}
	return v, nil
}

// personHashKey returns the HMAC key of HQ's person (people.id_hash) and staff phone
// (staff.phone_hash) indexes. It stays at HQ: a kiosk holding it could recover ID numbers from
// masked ones in thousands of tries (DESIGN §9).
func (s *Server) personHashKey(ctx context.Context) ([]byte, error) {
	v, err := s.setting(ctx, setPersonHashKey)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(v)
}

// SealPrivateKey returns HQ's raw X25519 private key, to open sealed personal data
// (sealbox.Open).
func (s *Server) SealPrivateKey(ctx context.Context) ([]byte, error) {
	v, err := s.setting(ctx, setSealKey)
	if err != nil {
		return nil, fmt.Errorf("hq: seal key: %w", err)
	}
	var k sealKey
	if err := json.Unmarshal([]byte(v), &k); err != nil {
		return nil, fmt.Errorf("hq: seal key: %w", err)
	}
	return base64.StdEncoding.DecodeString(k.Private)
}

// rules returns the rule thresholds in force, defaults filled in.
func (s *Server) rules(ctx context.Context) (checkpoint.Config, error) {
	v, err := s.setting(ctx, setRules)
	if err != nil {
		return checkpoint.Config{}, err
	}
	var c checkpoint.Config
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		return checkpoint.Config{}, fmt.Errorf("rules: %w", err)
	}
	return c.WithDefaults(), nil
}

// settings builds the settings dataset.
func (s *Server) settings(ctx context.Context) (checkpoint.Settings, error) {
	var st checkpoint.Settings
	v, err := s.setting(ctx, setSealKey)
	if err != nil {
		return st, err
	}
	var k sealKey
	if err := json.Unmarshal([]byte(v), &k); err != nil {
		return st, fmt.Errorf("seal key: %w", err)
	}
	st.HQSealKey = k.Public
	if st.StaffSalt, err = s.setting(ctx, setStaffSalt); err != nil {
		return st, err
	}
	rules, err := s.setting(ctx, setRules)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal([]byte(rules), &st.Rules); err != nil {
		return st, fmt.Errorf("rules: %w", err)
	}
	days, err := s.setting(ctx, setRetentionDays)
	if err != nil {
		return st, err
	}
	st.RetentionDays, _ = strconv.Atoi(days)
	return st, nil
}

// trustList builds the trust dataset: every issuing key's public half and state. A retired or
// distrusted key carries its retirement time; its window (not_after) also ends then, for kiosks
// that predate key states.
func (s *Server) trustList(ctx context.Context, version int64) (checkpoint.TrustList, error) {
	keys, err := s.db.Keys(ctx)
	if err != nil {
		return checkpoint.TrustList{}, err
	}
	tl := checkpoint.TrustList{Version: version, Keys: []checkpoint.TrustedKey{}}
	for _, k := range keys {
		pub, err := base64.StdEncoding.DecodeString(k.Public)
		if err != nil {
			return tl, fmt.Errorf("key %s: %w", k.ID, err)
		}
		tk := checkpoint.TrustedKey{KID: k.ID, PublicKey: ed25519.PublicKey(pub), NotBefore: k.NotBefore, NotAfter: k.NotAfter,
			State: k.State, RetiredAt: k.RetiredAt}
		if tk.State == checkpoint.KeyActive {
			tk.RetiredAt = time.Time{}
		}
		if !tk.RetiredAt.IsZero() && tk.RetiredAt.Before(tk.NotBefore) {
			tk.RetiredAt = tk.NotBefore // retired before its window opened: it never issued
		}
		if !tk.RetiredAt.IsZero() && (tk.NotAfter.IsZero() || tk.RetiredAt.Before(tk.NotAfter)) {
			tk.NotAfter = tk.RetiredAt
		}
		tl.Keys = append(tl.Keys, tk)
	}
	return tl, nil
}

// errNoKey means HQ has no key that may issue now.
var errNoKey = errors.New("hq: no issuing key valid now")

// issuer returns an issuer for the newest active key valid now.
func (s *Server) issuer(ctx context.Context, now time.Time) (*checkpoint.Issuer, error) {
	keys, err := s.db.Keys(ctx)
	if err != nil {
		return nil, err
	}
	for i := len(keys) - 1; i >= 0; i-- {
		k := keys[i]
		if k.State != checkpoint.KeyActive || now.Before(k.NotBefore) || (!k.NotAfter.IsZero() && !now.Before(k.NotAfter)) {
			continue
		}
		seed, err := base64.StdEncoding.DecodeString(k.Private)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", k.ID, err)
		}
		ik := checkpoint.IssuerKey{KID: k.ID, PrivateKey: seed, NotBefore: k.NotBefore, NotAfter: k.NotAfter}
		return ik.Issuer()
	}
	return nil, errNoKey
}

// NewIssuingKey generates an issuing key valid from now for validity (zero: one year). With
// rotate, every other key still issuing is retired now, so HQ issues with the new key only.
func (s *Server) NewIssuingKey(ctx context.Context, validity time.Duration, rotate bool) (checkpoint.TrustedKey, error) {
	now := s.now().UTC().Truncate(time.Second)
	if validity <= 0 {
		validity = 365 * 24 * time.Hour
	}
	ik, err := checkpoint.GenerateIssuerKey("", now, now.Add(validity))
	if err != nil {
		return checkpoint.TrustedKey{}, fmt.Errorf("hq: new key: %w", err)
	}
	tk := ik.TrustedKey()
	old, err := s.db.Keys(ctx)
	if err != nil {
		return tk, fmt.Errorf("hq: new key: %w", err)
	}
	err = s.db.AddKey(ctx, sqldb.Key{ID: ik.KID, Private: base64.StdEncoding.EncodeToString(ik.PrivateKey),
		Public: base64.StdEncoding.EncodeToString(tk.PublicKey), NotBefore: ik.NotBefore, NotAfter: ik.NotAfter, CreatedAt: s.now()})
	if err != nil {
		return tk, fmt.Errorf("hq: new key: %w", err)
	}
	if rotate {
		for _, k := range old {
			if k.State == checkpoint.KeyActive {
				if err := s.db.RetireKey(ctx, k.ID, now); err != nil && !errors.Is(err, sqldb.ErrNotFound) {
					return tk, fmt.Errorf("hq: rotate: %w", err)
				}
			}
		}
	}
	return tk, nil
}

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	ip, done := s.preAuth(w, r)
	if done {
		return
	}
	var req checkpoint.EnrollRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	if req.Code == "" || len(req.Code) > 64 || len(req.DeviceName) > 100 {
		s.metrics.add(cntBadRequest, 1)
		httpx.WriteError(w, http.StatusBadRequest, "bad_request", "请填写登记码（设备名不超过 100 字符）/ code required; device_name at most 100 characters")
		return
	}
	secret, rootID, err := checkpoint.SplitEnrollCode(req.Code)
	if err != nil {
		// A malformed code is a guess like any other: counted toward the lockout.
		s.metrics.add(cntEnrollFailed, 1)
		s.authFailed(ip)
		httpx.WriteError(w, http.StatusForbidden, "bad_enroll_code", "登记码无效、已使用或已过期 / enrollment code unknown, used or expired")
		return
	}
	head, chain, err := rootChain(r.Context(), s.db)
	if errors.Is(err, ErrNoRootKey) {
		httpx.WriteError(w, http.StatusServiceUnavailable, "no_root_key", "总部未配置根密钥 / HQ has no root key yet")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if _, err := checkpoint.MatchRoot(rootID, head, chain); err != nil {
		// A typo in the fingerprint part: say so before the code is spent. (A man in the
		// middle gains nothing here: the fingerprint is public, the kiosk checks it again.)
		s.metrics.add(cntEnrollFailed, 1)
		s.authFailed(ip)
		httpx.WriteError(w, http.StatusForbidden, "enroll_root_mismatch", "登记码中的总部指纹与本总部不符，请核对登记码 / the HQ fingerprint in the code does not match this HQ; check the code")
		return
	}
	if len(req.Replaces) > checkpoint.MaxIDLen || len(req.Proof) > 128 || (req.Replaces == "") != (req.Proof == "") {
		s.metrics.add(cntBadRequest, 1)
		httpx.WriteError(w, http.StatusBadRequest, "bad_request", "replaces 与 proof 须同时提供 / replaces and proof go together")
		return
	}
	resp, err := s.db.EnrollDevice(r.Context(), sqldb.Enrollment{Code: secret, Name: req.DeviceName,
		Replaces: req.Replaces, Proof: req.Proof, Now: s.now()})
	if errors.Is(err, sqldb.ErrBadProof) {
		// Counted like a wrong credential: the proof stands for the old device's secret.
		s.metrics.add(cntEnrollFailed, 1)
		s.authFailed(ip)
		httpx.WriteError(w, http.StatusForbidden, "bad_continuity_proof",
			"本机原有的设备凭证与总部记录不符，无法接续原设备；登记码未使用 / the kiosk's old credential does not match HQ's record of that device; the code was not spent")
		return
	}
	if errors.Is(err, sqldb.ErrBadCode) {
		s.metrics.add(cntEnrollFailed, 1)
		s.authFailed(ip)
		httpx.WriteError(w, http.StatusForbidden, "bad_enroll_code", "登记码无效、已使用或已过期 / enrollment code unknown, used or expired")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	resp.RootKey, resp.RootChain = head, chain
	if resp.Epoch, err = s.Epoch(r.Context()); err != nil {
		s.internal(w, r, err)
		return
	}
	if resp.Replaces != "" {
		s.log.Info("hq: device re-enrolled", slog.String("device", resp.DeviceID), slog.String("replaces", resp.Replaces))
	}
	w.Header().Set(checkpoint.EpochHeader, resp.Epoch)
	httpx.WriteJSON(w, http.StatusOK, resp)
}

// dataset builds one dataset for device dev.
func (s *Server) dataset(ctx context.Context, name string, version int64, dev sqldb.Device, sn *snapshot) (any, error) {
	switch name {
	case checkpoint.DatasetTrust:
		return s.trustList(ctx, version)
	case checkpoint.DatasetRevocations:
		ids, err := s.db.Revoked(ctx, s.now())
		if err != nil {
			return nil, err
		}
		return checkpoint.RevocationList{Version: version, CodeIDs: ids}, nil
	case checkpoint.DatasetRisk:
		v, err := s.setting(ctx, setRiskAreas)
		return json.RawMessage(v), err
	case checkpoint.DatasetStaff:
		out := []checkpoint.Staff{}
		for _, st := range sn.staffList {
			// An account from before phone lookups has none; it cannot log in offline until
			// an operator enters its phone again.
			if st.PhoneLookup != "" && under(sn.parentOf, st.SiteID, dev.SiteID) {
				out = append(out, st)
			}
		}
		return out, nil
	case checkpoint.DatasetSites:
		return sn.subtree(dev.SiteID), nil
	case checkpoint.DatasetSettings:
		return s.settings(ctx)
	}
	return nil, fmt.Errorf("hq: unknown dataset %q", name)
}

func (s *Server) handleConfig(w http.ResponseWriter, r *http.Request, dev sqldb.Device) {
	q := r.URL.Query()
	have := map[string]int64{}
	haveTag := map[string]string{}
	for k, vs := range q {
		known := false
		for _, n := range checkpoint.Datasets {
			known = known || n == k
		}
		if !known {
			s.metrics.add(cntBadRequest, 1)
			httpx.WriteError(w, http.StatusBadRequest, "bad_query", fmt.Sprintf("未知的数据集参数 / unknown dataset parameter %q", k))
			return
		}
		if len(vs) == 1 && checkpoint.PerDevice(k) && strings.HasPrefix(vs[0], "sha256-") && len(vs[0]) <= 80 {
			// A per-device dataset known by its content tag (older kiosks send the version).
			haveTag[k] = vs[0]
			continue
		}
		v, err := strconv.ParseInt(vs[0], 10, 64)
		if err != nil || v < 0 || len(vs) != 1 {
			s.metrics.add(cntBadRequest, 1)
			httpx.WriteError(w, http.StatusBadRequest, "bad_query", fmt.Sprintf("版本号必须是非负整数 / version of %q must be one non-negative integer", k))
			return
		}
		have[k] = v
	}
	ctx := r.Context()
	if s.root == nil {
		httpx.WriteError(w, http.StatusServiceUnavailable, "no_root_key", "总部未配置根密钥，无法下发配置 / HQ has no root key and cannot sign datasets")
		return
	}
	head, chain, err := rootChain(ctx, s.db)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !head.Equal(s.root.Public().(ed25519.PublicKey)) {
		// Rotated by `hq root rotate` while this instance runs with the old key: kiosks that
		// followed the chain would refuse what it signs.
		s.log.Error("hq: root key rotated; restart HQ with the new root key", slog.String("root", checkpoint.RootID(head)))
		httpx.WriteError(w, http.StatusServiceUnavailable, "root_rotated", "总部根密钥已更换，需重启总部 / HQ's root key was rotated; HQ must be restarted with the new key")
		return
	}
	epoch, err := s.Epoch(ctx)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	vers, sn, err := s.current(ctx)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	now := s.now().UTC()
	resp := checkpoint.ConfigResponse{Datasets: []checkpoint.Envelope{}, RootChain: chain, ServerTime: now}
	resp.Epoch = epoch
	riskSent := int64(sqldb.Unknown)
	for _, name := range checkpoint.Datasets {
		v := vers[name]
		if hv, ok := have[name]; ok && hv == v {
			continue
		}
		if name == checkpoint.DatasetRisk {
			riskSent = v
		}
		var raw []byte
		tag := ""
		if checkpoint.PerDevice(name) {
			// Per-device datasets are built on every pull and compared by content: a site
			// move or a transfer changes what this device gets without its own version moving.
			raw, tag, err = s.deviceDataset(ctx, name, v, dev, sn)
			if err == nil && haveTag[name] == tag {
				continue
			}
		} else {
			var data any
			if data, err = s.dataset(ctx, name, v, dev, sn); err == nil {
				raw, err = json.Marshal(data)
			}
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
		env, err := checkpoint.SignDataset(s.root, checkpoint.DatasetPayload{Name: name, Version: v, Epoch: epoch,
			DeviceID: dev.ID, IssuedAt: now, Data: raw, Tag: tag})
		if err != nil {
			s.internal(w, r, err)
			return
		}
		resp.Datasets = append(resp.Datasets, env)
	}
	s.noteKioskStatus(ctx, r, dev, have, riskSent)
	httpx.WriteJSON(w, http.StatusOK, resp)
}

func (s *Server) handleCodeStatus(w http.ResponseWriter, r *http.Request, dev sqldb.Device) {
	id := r.PathValue("id")
	if id == "" || len(id) > checkpoint.MaxIDLen {
		s.metrics.add(cntBadRequest, 1)
		httpx.WriteError(w, http.StatusBadRequest, "bad_code_id", "码编号无效 / invalid code id")
		return
	}
	st, err := s.codeStatus(r.Context(), id)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, st)
}

func (s *Server) codeStatus(ctx context.Context, id string) (checkpoint.CodeStatus, error) {
	st := checkpoint.CodeStatus{CodeID: id}
	c, err := s.db.Code(ctx, id)
	if errors.Is(err, sqldb.ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Known, st.Revoked = true, c.Revoked
	k, err := s.db.Key(ctx, c.KeyID)
	if err != nil && !errors.Is(err, sqldb.ErrNotFound) {
		return st, err
	}
	if k.State == checkpoint.KeyDistrusted {
		// Revoked too, for kiosks that do not know key states yet.
		st.KeyDistrusted, st.Revoked = true, true
	}
	p, err := s.db.Person(ctx, c.PersonID)
	if err != nil && !errors.Is(err, sqldb.ErrNotFound) {
		return st, err
	}
	st.Status, st.Reason, st.UpdatedAt = p.Status, p.Reason, p.UpdatedAt
	if c.RevokedAt.After(st.UpdatedAt) {
		st.UpdatedAt = c.RevokedAt
	}
	return st, nil
}

// ImportIssuingKey adds an issuing key made elsewhere (`hq keygen` writes issuer.key files) to
// the keys HQ issues with and publishes. A key whose kid HQ already holds is left as it is.
func (s *Server) ImportIssuingKey(ctx context.Context, ik checkpoint.IssuerKey) error {
	keys, err := s.db.Keys(ctx)
	if err != nil {
		return fmt.Errorf("hq: import key: %w", err)
	}
	for _, k := range keys {
		if k.ID == ik.KID {
			return nil
		}
	}
	tk := ik.TrustedKey()
	err = s.db.AddKey(ctx, sqldb.Key{ID: ik.KID, Private: base64.StdEncoding.EncodeToString(ik.PrivateKey),
		Public: base64.StdEncoding.EncodeToString(tk.PublicKey), NotBefore: ik.NotBefore, NotAfter: ik.NotAfter, CreatedAt: s.now()})
	if err != nil {
		return fmt.Errorf("hq: import key: %w", err)
	}
	return nil
}

// Now returns the server's clock (Config.Now).
func (s *Server) Now() time.Time { return s.now() }

// HasIssuingKey reports whether HQ has an active issuing key valid now (IssueCode needs one).
func (s *Server) HasIssuingKey(ctx context.Context) (bool, error) {
	_, err := s.issuer(ctx, s.now())
	if errors.Is(err, errNoKey) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("hq: issuing key: %w", err)
	}
	return true, nil
}

// RiskAreas returns the risk-area list kiosks pull.
func (s *Server) RiskAreas(ctx context.Context) (checkpoint.RiskList, error) {
	v, err := s.setting(ctx, setRiskAreas)
	if err != nil {
		return nil, fmt.Errorf("hq: risk areas: %w", err)
	}
	l, err := checkpoint.ParseRiskList([]byte(v))
	if err != nil {
		return nil, fmt.Errorf("hq: risk areas: %w", err)
	}
	return l, nil
}

// HeldPage is the most held records one call of Held returns.
const HeldPage = 1000

// Held lists the records HQ holds without having accepted them, oldest id first, at most
// HeldPage after the id after ("" from the start).
func (s *Server) Held(ctx context.Context, after string) ([]sqldb.HeldRecord, error) {
	if len(after) > checkpoint.MaxIDLen {
		return nil, fmt.Errorf("hq: held: %w", ErrBadCursor)
	}
	held, err := s.db.Held(ctx, after, HeldPage)
	if err != nil {
		return nil, fmt.Errorf("hq: held: %w", err)
	}
	return held, nil
}

// ErrBadCursor is wrapped by Held for a cursor longer than any record id.
var ErrBadCursor = errors.New("cursor too long")
