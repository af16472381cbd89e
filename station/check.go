package station

import (
	"context"
	"errors"
	"fmt"

	checkpoint "github.com/yongji-county/checkpoint"
)

// Scan verifies a scanned code offline (signature, key state, capped expiry, revocations from
// the last sync), asks HQ for the live status when it can, and returns what the person-info
// screen shows, with the verdict before temperature and exception. A revocation list the store
// cannot read fails closed: the code passes only if HQ confirms it live.
func (st *Station) Scan(ctx context.Context, s Session, text string) ScanView {
	now := st.now()
	v := ScanView{Text: text, ScannedAt: now}
	cfg := st.rules(ctx)
	trust, err := st.db.TrustList(ctx)
	if err != nil {
		st.log.Warn("trust list unavailable", "err", err)
	}
	revoked, rerr := st.db.Revocations(ctx)
	if rerr != nil {
		st.log.Warn("revocation list unavailable", "err", rerr)
	}
	risk, _ := st.db.RiskAreas(ctx)
	claims, err := checkpoint.Verify(text, trust, checkpoint.NewRevocationList(0, revoked), now, cfg)
	// Ask HQ only while it is reachable: a person is waiting, and offline the signature,
	// expiry and last revocation list decide.
	if err == nil && st.sync != nil && (st.askHQ || st.sync.Status().Online) {
		v.Online, v.LiveChanged, err = st.live(ctx, &claims)
	}
	if err == nil && rerr != nil && !v.Online {
		err = fmt.Errorf("%w: %w", checkpoint.ErrRevocationsUnavailable, rerr)
	}
	if err != nil {
		v.CodeErr = err
		v.ErrorKind = checkpoint.ErrorKind(err)
		v.Decision = st.decide(checkpoint.VerdictInput{CodeErr: err, Risk: risk, Config: cfg, Now: now})
		return v
	}
	v.Valid = true
	v.Claims = &claims
	v.CodeID, v.Name, v.IDMasked, v.Household = claims.CodeID, claims.Name, claims.IDMasked, claims.Household
	v.Status, v.StatusReason, v.Kind, v.ExpiresAt = string(claims.Status), claims.Reason, string(claims.Kind), claims.ExpiresAt
	if a, ok := risk.Match(claims.Household, now); ok && a.Level == checkpoint.RiskHigh {
		v.HighRisk, v.RiskArea = true, a.Code
	}
	// By holder, not code: a live code refreshes every few minutes, the holder id stays.
	if at, ok, err := st.db.LastCheckOf(ctx, claims.HolderID, now.Add(-RecentCheck)); err == nil && ok {
		v.LastSeen = at
	}
	v.Decision, _ = st.Decide(v, "", false)
	return v
}

// live asks HQ for the code's current state. A code HQ does not know is invalid (a signature
// alone does not make it real), as is a revoked code or one whose key HQ distrusts; a changed
// colour replaces the one printed in the code. A network failure leaves the offline result
// standing (online false).
func (st *Station) live(ctx context.Context, c *checkpoint.Claims) (online, changed bool, err error) {
	cs, lerr := st.sync.CodeStatus(ctx, c.CodeID)
	if lerr != nil {
		return false, false, nil
	}
	switch {
	case !cs.Known:
		return true, false, fmt.Errorf("%w: %s", checkpoint.ErrUnknownCode, c.CodeID)
	case cs.KeyDistrusted:
		return true, false, fmt.Errorf("%w: kid %q (HQ live status)", checkpoint.ErrKeyDistrusted, c.KID)
	case cs.Revoked:
		return true, false, &revokedOnline{}
	}
	if cs.Status != "" && cs.Status != string(c.Status) {
		if s, err := checkpoint.ParseStatus(cs.Status); err == nil {
			c.Status, c.Reason = s, cs.Reason
			return true, true, nil
		}
	}
	return true, false, nil
}

// revokedOnline makes checkpoint.ErrorKind report "revoked" for a code HQ revoked after the last sync.
type revokedOnline struct{}

func (*revokedOnline) Error() string { return checkpoint.ErrRevoked.Error() }
func (*revokedOnline) Unwrap() error { return checkpoint.ErrRevoked }

func (st *Station) decide(in checkpoint.VerdictInput) Decision {
	d := checkpoint.Decide(in)
	out := Decision{Verdict: string(d.Outcome), MessageZH: d.MessageZH, MessageEN: d.MessageEN}
	for _, r := range d.Reasons {
		out.Reasons = append(out.Reasons, string(r))
	}
	return out
}

// Decide is the verdict for a scanned code with the temperature staff typed (may be empty) and
// the local-stay confirmation. A temperature that is not a number is an error staff must fix;
// the decision returned with it ignores the temperature. A number outside the plausible range
// is a failed measurement: the decision is at least refer (temp_implausible), never pass, and
// the error (wrapping checkpoint.ErrTempImplausible) tells staff to measure again.
func (st *Station) Decide(v ScanView, temp string, localStay bool) (Decision, error) {
	ctx := context.Background()
	cfg := st.rules(ctx)
	risk, _ := st.db.RiskAreas(ctx)
	in := checkpoint.VerdictInput{Claims: v.Claims, CodeErr: v.CodeErr, Risk: risk, LocalStay: localStay,
		Offline: !v.Online, Config: cfg, Now: st.now()}
	if v.Claims == nil && v.CodeErr == nil {
		in.CodeErr = checkpoint.ErrMalformed
	}
	var terr error
	if t := trimmed(temp); t != "" && v.Valid {
		c, err := checkpoint.ParseCelsius(t)
		if err != nil {
			terr = tempProblem(err)
		} else {
			in.Temperature, in.TempMeasured = c, true
			if err := cfg.CheckTemperature(c); err != nil {
				terr = tempProblem(err)
			}
		}
	}
	return st.decide(in), terr
}

func tempProblem(err error) error {
	if errors.Is(err, checkpoint.ErrTempFormat) {
		return problem("temp_format", "体温格式不正确，请输入如 36.5", "temperature must be a number like 36.5", err)
	}
	return problem("temp_range", "体温读数不合理（34.0–43.0℃），请重新测量", "implausible reading (34.0–43.0 °C): measure again", err)
}

// Confirm records the check (确认): the verdict as decided now, the temperature and the
// exception. When it returns nil the record is durable on this kiosk and queued for HQ.
func (st *Station) Confirm(ctx context.Context, s Session, v ScanView, temp string, localStay bool) (Decision, error) {
	if v.Valid && trimmed(temp) == "" {
		return Decision{}, problem("temp_missing", "请先测量并填写体温", "measure and enter the temperature first", nil)
	}
	d, err := st.Decide(v, temp, localStay)
	if err != nil && !errors.Is(err, checkpoint.ErrTempImplausible) {
		return d, err
	}
	// An implausible reading is recorded with its refer verdict, not lost.
	m := st.meta(s)
	c := checkpoint.Check{Verdict: d.Verdict, Reasons: d.Reasons, Online: v.Online, ScannedAt: v.ScannedAt.UTC(),
		ConfirmedAt: m.At, CodeError: v.ErrorKind}
	if c.Reasons == nil {
		c.Reasons = []string{}
	}
	var personal checkpoint.Personal
	if v.Claims != nil {
		cl := v.Claims
		c.CodeID, c.CodeKind, c.KeyID, c.HolderID = cl.CodeID, string(cl.Kind), cl.KID, cl.HolderID
		c.NameMasked, c.IDMasked, c.Household, c.CodeStatus = checkpoint.MaskName(cl.Name), cl.IDMasked, cl.Household, string(cl.Status)
		personal.Name = cl.Name
		if t, err := checkpoint.ParseCelsius(trimmed(temp)); err == nil {
			c.TempTenths = int(t*10 + 0.5)
		}
		if localStay && containsReason(d.Reasons, string(checkpoint.ReasonLocalStayException)) {
			c.LocalStay, c.LocalStayBy = true, s.StaffID
		}
	}
	if _, err := st.db.SaveCheck(ctx, m, c, personal); err != nil {
		return d, errStore(err)
	}
	if c.LocalStay {
		st.event(ctx, checkpoint.Staff{ID: s.StaffID, SiteID: s.SiteID}, "local_stay_confirmed", c.CodeID)
	}
	st.mu.Lock()
	st.shifts[s.StaffID]++
	st.mu.Unlock()
	st.afterRecord()
	return d, nil
}

func containsReason(rs []string, r string) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
