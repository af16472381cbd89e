// Package station is the kiosk's application logic between the screens and the data: staff login
// and lockout against the offline roster, verifying a scanned code and deciding the verdict,
// recording checks and assisted registrations, site management and the local log. It knows
// nothing of Fyne, SQL or HTTP; it uses the store and the sync client.
package station

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	gosync "sync"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/passwd"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// Login lockout: this many failures within the window lock the account for the window.
const (
	MaxLoginFailures = 5
	LockoutWindow    = 15 * time.Minute
	// RecentCheck is how far back "already checked here N min ago" looks.
	RecentCheck = 30 * time.Minute
)

// Config holds what a Station depends on.
type Config struct {
	DB     *store.DB
	Sync   *sync.Client // nil when the kiosk runs without HQ
	Now    func() time.Time
	Logger *slog.Logger
	// AskHQ makes every scan ask HQ for the live status even before the sync client has
	// reached HQ, for one-shot tools (kiosk verify) that make no other request first.
	AskHQ bool
}

// Station implements the kiosk's use cases. Its methods are safe for concurrent use.
type Station struct {
	db     *store.DB
	sync   *sync.Client
	now    func() time.Time
	log    *slog.Logger
	askHQ  bool
	mu     gosync.Mutex
	shifts map[string]int // checks per staff since their login
}

// New returns a Station.
func New(cfg Config) *Station {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Station{db: cfg.DB, sync: cfg.Sync, now: cfg.Now, log: cfg.Logger, askHQ: cfg.AskHQ, shifts: map[string]int{}}
}

// meta is the envelope of a record made now by s; the store fills in this kiosk's device id.
func (st *Station) meta(s Session) store.Meta {
	return store.Meta{SiteID: s.SiteID, StaffID: s.StaffID, At: st.now().UTC()}
}

// rules returns the thresholds from the last settings HQ sent, or the safe defaults.
func (st *Station) rules(ctx context.Context) checkpoint.Config {
	set, err := st.db.Settings(ctx)
	if err != nil {
		return checkpoint.DefaultConfig()
	}
	return set.Rules.WithDefaults()
}

var (
	errStore = func(err error) error {
		return problem("store", "本机数据库出错，记录未保存，请重试", "local database error: nothing was saved, try again", err)
	}
)

// Login checks a phone number and password against the roster HQ last sent, so staff can log in
// with no network. Too many failures lock the account for LockoutWindow.
func (st *Station) Login(ctx context.Context, phone, password string) (Session, error) {
	p, err := checkpoint.ParsePhone(phone)
	if err != nil {
		return Session{}, problem("phone", "手机号格式不正确（11位手机号）", "not a valid mobile number (11 digits)", err)
	}
	if len(password) > 128 {
		return Session{}, problem("bad_password", "手机号或密码错误", "wrong phone number or password", nil)
	}
	lookup, err := st.phoneLookup(ctx, p)
	if errors.Is(err, store.ErrNoStaffSalt) {
		return Session{}, problem("no_roster", "本机尚未从总部获取人员名单：请先登记设备并联网同步", "no staff roster yet: enroll this kiosk and sync with HQ first", err)
	} else if err != nil {
		return Session{}, errStore(err)
	}
	staff, err := st.db.StaffByPhoneLookup(ctx, lookup)
	failKey := "phone:" + lookup
	if err == nil {
		failKey = staff.ID
	}
	now := st.now()
	n, ferr := st.db.LoginFailures(ctx, failKey, now.Add(-LockoutWindow))
	if ferr != nil {
		return Session{}, errStore(ferr)
	}
	if n >= MaxLoginFailures {
		return Session{}, problem("locked", "密码错误次数过多，账户已锁定15分钟", "too many wrong passwords: account locked for 15 minutes", nil)
	}
	if err == nil && !staff.Active {
		return Session{}, problem("inactive", "该账户已停用，请联系站点管理员", "this account is disabled; ask your supervisor", nil)
	}
	if err != nil || verifyPassword(password, staff.PasswordHash) != nil {
		_ = st.db.RecordLoginFailure(ctx, failKey, now)
		if err == nil {
			st.event(ctx, staff, "login_failed", "")
			if n+1 >= MaxLoginFailures {
				st.event(ctx, staff, "lockout", "")
			}
		}
		return Session{}, problem("bad_password", "手机号或密码错误", "wrong phone number or password", nil)
	}
	_ = st.db.ResetLoginFailures(ctx, failKey)
	sess := Session{StaffID: staff.ID, NameMasked: staff.NameMasked,
		Supervisor: staff.Role == checkpoint.RoleSupervisor, SiteID: staff.SiteID, SiteName: staff.SiteID, Since: now}
	if site, err := st.db.Site(ctx, staff.SiteID); err == nil {
		sess.SiteName = site.Name
	}
	if st.sync != nil {
		sess.Offline = !st.sync.Status().Online
	}
	st.mu.Lock()
	st.shifts[staff.ID] = 0
	st.mu.Unlock()
	st.event(ctx, staff, "login", "")
	return sess, nil
}

// phoneLookup is the roster lookup value of a phone number: one slow salted hash
// (passwd.PhoneLookup, about 0.1-0.3 s), the only way this kiosk can find a staff row by phone.
func (st *Station) phoneLookup(ctx context.Context, p checkpoint.Phone) (string, error) {
	salt, err := st.db.StaffSalt(ctx)
	if err != nil {
		return "", err
	}
	return phoneLookup(salt, p.Full())
}

// Logout records the end of a shift.
func (st *Station) Logout(ctx context.Context, s Session) {
	st.event(ctx, checkpoint.Staff{ID: s.StaffID, SiteID: s.SiteID}, "logout", "")
}

func (st *Station) event(ctx context.Context, staff checkpoint.Staff, ev, detail string) {
	m := st.meta(Session{StaffID: staff.ID, SiteID: staff.SiteID})
	if _, err := st.db.SaveStaffEvent(ctx, m, checkpoint.StaffEvent{Event: ev, At: m.At, Detail: detail}); err != nil {
		st.log.Warn("staff event not saved", "event", ev, "err", err)
	}
}

// ShiftCount is how many checks the staff member has confirmed since logging in.
func (st *Station) ShiftCount(s Session) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.shifts[s.StaffID]
}

// SyncView reports the sync state for the header badge and the sync screen.
func (st *Station) SyncView(ctx context.Context) SyncView {
	v := SyncView{}
	if st.sync != nil {
		s := st.sync.Status()
		v = SyncView{Enrolled: s.Enrolled, Online: s.Online, Pending: s.Pending, Quarantined: s.Quarantined,
			LastSuccess: s.LastSuccess, ClockSkew: s.ClockSkew}
		if s.LastError.Code != "" {
			v.LastError = s.LastError.ZH + " / " + s.LastError.EN
		}
		v.Refused = s.Refused
		if s.LastRefusal.Code != "" {
			v.LastRefusal = s.LastRefusal.ZH + " / " + s.LastRefusal.EN
		}
		if !s.LastSuccess.IsZero() {
			v.DataAge = st.now().Sub(s.LastSuccess)
		}
		return v
	}
	if stats, err := st.db.OutboxStats(ctx); err == nil {
		v.Pending, v.Quarantined = stats.Pending, stats.Quarantined
	}
	return v
}

// SyncNow asks the background sync for a pass.
func (st *Station) SyncNow() {
	if st.sync != nil {
		st.sync.SyncNow()
	}
}

func (st *Station) afterRecord() {
	if st.sync != nil {
		st.sync.SyncNow()
	}
}

func trimmed(s string) string { return strings.TrimSpace(s) }

var (
	verifyPassword = passwd.Verify
	phoneLookup    = passwd.PhoneLookup
)
