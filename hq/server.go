// Package hq is the headquarters server: the REST API under /api/v1/ that kiosks enroll with,
// push record batches to and pull configuration from, and the admin API the HQ operator uses
// (risk areas, people's code status, sites, staff, enrollment codes, issuing keys). Storage is
// package hq/sqldb (SQLite or PostgreSQL). hq/server serves it over HTTP beside other mounts
// (the citizen pages); hq/demo seeds a demo county and starts an in-process HQ for the kiosk.
package hq

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/yongji-county/checkpoint/hq/internal/httpx"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// Config holds what a Server depends on.
type Config struct {
	// DSN opens the database: "sqlite:PATH" or "postgres://…". Ignored when DB is set.
	DSN string
	// DB is an already open database; the Server does not close it.
	DB *sqldb.DB
	// AdminToken guards /api/v1/admin/ and POST /api/v1/codes. Empty disables those endpoints;
	// otherwise it must be at least MinTokenLen characters (CheckToken).
	AdminToken string
	// IssueToken is a narrower token that may call POST /api/v1/codes only (a registration desk
	// issuing codes), not /api/v1/admin/. Empty: only the admin token issues. Same rules.
	IssueToken string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For HQ believes: behind one, the
	// client address is the rightmost hop that is not a trusted proxy. Empty: RemoteAddr.
	TrustedProxies []netip.Prefix
	// Logger receives request and lifecycle logs (never personal data). Nil: discard.
	Logger *slog.Logger
	// Now is the clock. Nil: time.Now.
	Now func() time.Time
	// DeviceRate and DeviceBurst size each device's token bucket (requests per second and
	// burst). Zero: 10/s and 40.
	DeviceRate  float64
	DeviceBurst int
	// ClientRate and ClientBurst size each client address's token bucket, taken before any
	// credential is compared (so also for kiosks behind one NAT address). Zero: 100/s and 400.
	ClientRate  float64
	ClientBurst int
	// LockoutFailures wrong credentials (device, admin or enrollment) from one client address
	// within LockoutPeriod lock that address out for LockoutPeriod: every authenticated call,
	// with the right credential too, is answered 429. Zero: 10 and 15 minutes.
	LockoutFailures int
	LockoutPeriod   time.Duration
	// StatusQueryRate and StatusQueryBurst size each device's budget for POST
	// /api/v1/people/status, an oracle over ID numbers. Zero: one a minute, burst 30 (a
	// registration takes a minute or more to type).
	StatusQueryRate  float64
	StatusQueryBurst int
	// EnrollCodeTTL is how long an enrollment code stays usable. Zero: 24 hours.
	EnrollCodeTTL time.Duration
	// RetentionMonths is how many whole months of records HQ keeps besides the current one
	// (PIPL): at start and daily, records made before the first day of the month that many months
	// back are removed (on PostgreSQL by dropping their monthly partitions); held records are
	// kept until an operator has dealt with them. Zero keeps everything.
	RetentionMonths int
	// RootKey is HQ's root signing key (LoadRootKey, ParseRootKeySeed): it signs every dataset
	// kiosks pull. It is recorded as the first root on HQ's first start and must be the newest
	// root of the chain afterwards. Nil: the server cannot sign, and the config pull and
	// enrollment answer 503 (operator tools such as `hq enroll-code` need no private key).
	RootKey ed25519.PrivateKey
}

// Server is an HQ instance over its database: the core, and for now its kiosk and admin API
// handler (Handler), which hq/server mounts.
type Server struct {
	db         *sqldb.DB
	ownDB      bool
	log        *slog.Logger
	now        func() time.Time
	adminToken string
	issueToken string
	clientAddr httpx.ClientAddr
	// assist is the citizen core for 辅助登记's SMS codes (SetCitizens).
	assist    assistCodes
	enrollTTL time.Duration
	// retentionMonths is Config.RetentionMonths.
	retentionMonths int
	root            ed25519.PrivateKey
	limiter         *httpx.Limiter // per device, after authentication
	// clientLimiter is per client address, before any credential is compared; statusLimiter
	// per device for the people-status oracle.
	clientLimiter *httpx.Limiter
	statusLimiter *httpx.Limiter
	lockout       *httpx.Lockout
	metrics       *metrics
	snap          snapshotCache
	devSets       deviceSets
	fever         feverCache
	handler       http.Handler
	routes        []string

	closeOnce sync.Once
	stop      chan struct{}
	flushDone chan struct{}
}

// New opens the database (running migrations), makes sure HQ's own keys exist, and returns a
// Server ready to serve. Close releases it.
func New(cfg Config) (*Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := checkTokens(cfg.AdminToken, cfg.IssueToken); err != nil {
		return nil, fmt.Errorf("hq: new: %w", err)
	}
	s := &Server{
		db:              cfg.DB,
		log:             cfg.Logger,
		now:             cfg.Now,
		adminToken:      cfg.AdminToken,
		issueToken:      cfg.IssueToken,
		clientAddr:      httpx.ClientAddr{Trusted: cfg.TrustedProxies},
		enrollTTL:       cfg.EnrollCodeTTL,
		retentionMonths: cfg.RetentionMonths,
		root:            cfg.RootKey,
		metrics:         newMetrics(),
		stop:            make(chan struct{}),
		flushDone:       make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.enrollTTL == 0 {
		s.enrollTTL = 24 * time.Hour
	}
	rate, burst := cfg.DeviceRate, cfg.DeviceBurst
	if rate <= 0 {
		rate = 10
	}
	if burst <= 0 {
		burst = 40
	}
	s.limiter = httpx.NewLimiter(rate, burst, s.now)
	s.clientLimiter = httpx.NewLimiter(orF(cfg.ClientRate, 100), orI(cfg.ClientBurst, 400), s.now)
	s.statusLimiter = httpx.NewLimiter(orF(cfg.StatusQueryRate, 1.0/60), orI(cfg.StatusQueryBurst, 30), s.now)
	period := cfg.LockoutPeriod
	if period <= 0 {
		period = 15 * time.Minute
	}
	s.lockout = httpx.NewLockout(orI(cfg.LockoutFailures, 10), period, s.now)
	if s.db == nil {
		dsn := cfg.DSN
		if dsn == "" {
			return nil, errors.New("hq: new: no DSN")
		}
		db, err := sqldb.Open(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("hq: new: %w", err)
		}
		s.db, s.ownDB = db, true
	}
	if err := s.ensureSecrets(ctx); err != nil {
		s.closeDB()
		return nil, fmt.Errorf("hq: new: %w", err)
	}
	if err := s.ensureRoot(ctx); err != nil {
		s.closeDB()
		return nil, fmt.Errorf("hq: new: %w", err)
	}
	s.handler = s.buildRoutes()
	// The flusher ends when Close closes s.stop.
	s.expire()
	go s.flushLoop()
	return s, nil
}

// DB returns the server's database.
func (s *Server) DB() *sqldb.DB { return s.db }

// Handler returns the HTTP handler for the kiosk and admin API routes still in this package
// (Routes); hq/server mounts it beside hq/api, which has the others (GET /api/v1/health).
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns the route patterns Handler serves ("POST /api/v1/batches"…); hq/server
// adds hq/api's.
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// Close stops background work, saves the counters and closes the database if the Server
// opened it.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.flushDone
		s.flush()
		err = s.closeDB()
	})
	return err
}

func (s *Server) closeDB() error {
	if s.ownDB {
		if err := s.db.Close(); err != nil {
			return fmt.Errorf("hq: close: %w", err)
		}
	}
	return nil
}

// flushLoop saves the counters every 5 seconds and, once a day, makes the coming months'
// record partitions (sqldb.Open made them at start). It ends when Close closes s.stop.
func (s *Server) flushLoop() {
	defer close(s.flushDone)
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	day := time.NewTicker(24 * time.Hour)
	defer day.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.flush()
		case <-day.C:
			s.ensurePartitions()
			s.expire()
		}
	}
}

// ensurePartitions makes the record partitions of this month and the next ones (PostgreSQL).
func (s *Server) ensurePartitions() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	made, err := s.db.EnsurePartitions(ctx, s.now())
	if err != nil {
		s.log.Warn("hq: making record partitions failed", slog.Any("err", err))
		return
	}
	for _, n := range made {
		s.log.Info("hq: record partition made", slog.String("partition", n))
	}
}

// expire applies the record retention (Config.RetentionMonths), logging what it removed.
func (s *Server) expire() {
	if s.retentionMonths <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	now := s.now().UTC()
	before := time.Date(now.Year(), now.Month()-time.Month(s.retentionMonths), 1, 0, 0, 0, 0, time.UTC)
	e, err := s.db.ExpireRecords(ctx, before)
	if err != nil {
		s.log.Warn("hq: record retention failed", slog.Any("err", err))
		return
	}
	if len(e.Dropped) > 0 || e.Deleted > 0 || e.KeptHeld > 0 {
		s.log.Info("hq: record retention", slog.String("before", before.Format("2006-01")), slog.Any("dropped", e.Dropped),
			slog.Int64("deleted", e.Deleted), slog.Int64("kept_held", e.KeptHeld), slog.Int64("moved_held", e.MovedHeld))
	}
}

// Flush saves the in-memory counters to the database now (hq/server does after a shutdown;
// Close does too).
func (s *Server) Flush() { s.flush() }

// flush moves the in-memory counters to the database.
func (s *Server) flush() {
	d := s.metrics.take()
	if len(d) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.db.AddCounters(ctx, d); err != nil {
		s.metrics.giveBack(d)
		s.log.Warn("hq: saving counters failed", slog.Any("err", err))
	}
}

func orF(v, def float64) float64 {
	if v > 0 {
		return v
	}
	return def
}

func orI(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}
