// Package demo seeds a demo county into an HQ and starts an in-process HQ for the kiosk's
// demo mode: both --demo flags (hq serve --demo, kiosk run --demo) use it.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/server"
	"github.com/yongji-county/checkpoint/hq/sms"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// Demo site ids.
const (
	RootSiteID = "yongji"
	SiteID     = "demo-site"
)

// Login is a demo staff account's login.
type Login struct {
	Phone    string          `json:"phone"`
	Password string          `json:"password"`
	Role     checkpoint.Role `json:"role"`
	StaffID  string          `json:"staff_id"`
	SiteID   string          `json:"site_id"`
}

// Code is a demo person's printed health code.
type Code struct {
	Label  string `json:"label"` // what the person is for, e.g. "green, local"
	CodeID string `json:"code_id"`
	Code   string `json:"code"` // the QR text
}

// Info is what Seed set up.
type Info struct {
	EnrollmentCode string  `json:"enrollment_code"` // one-time, for SiteID
	SiteID         string  `json:"site_id"`
	Logins         []Login `json:"logins"`
	Codes          []Code  `json:"codes"`
}

// residentID builds a valid 18-character ID number (GB 11643) from a region, a birth date
// (YYYYMMDD) and a 3-digit sequence.
func residentID(region, birth string, seq int) string {
	base := region + birth + fmt.Sprintf("%03d", seq)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(base[i]-'0') * w
	}
	return base + string("10X98765432"[sum%11])
}

// Seed fills s's database with a demo county: a root site, SiteID and two sub-sites, a
// supervisor and a scanner at SiteID, an issuing key, risk areas (Changchun high in
// spring 2022 and a current one) and three people with printed codes. It is idempotent: what
// exists is kept. Each call makes a fresh one-time enrollment code and fresh demo codes.
func Seed(ctx context.Context, s *hq.Server) (Info, error) {
	now := s.Now()
	db := s.DB()
	sites := []checkpoint.Site{
		{ID: RootSiteID, Name: "永吉县疫情防控指挥部", Address: "吉林省吉林市永吉县口前镇", Contact: "县指挥部", Phone: "0432-64222222", Division: "220221", Active: true},
		{ID: SiteID, ParentID: RootSiteID, Name: "口前镇检查站", Address: "永吉县口前镇吉桦路入口", Contact: "王站长", Phone: "0432-64200001", Division: "220221", Active: true},
		{ID: "demo-sub-1", ParentID: SiteID, Name: "口前镇高速出口卡点", Address: "珲乌高速口前出口", Contact: "李组长", Phone: "0432-64200002", Division: "220221", Active: true},
		{ID: "demo-sub-2", ParentID: SiteID, Name: "口前火车站卡点", Address: "口前火车站出站口", Contact: "赵组长", Phone: "0432-64200003", Division: "220221", Active: true},
	}
	for _, site := range sites {
		_, err := db.Site(ctx, site.ID)
		if err == nil {
			continue
		}
		if !errors.Is(err, sqldb.ErrNotFound) {
			return Info{}, fmt.Errorf("hq: seed demo: %w", err)
		}
		site.UpdatedAt = now.UTC()
		if err := db.PutSite(ctx, site); err != nil {
			return Info{}, fmt.Errorf("hq: seed demo: %w", err)
		}
	}
	info := Info{SiteID: SiteID, Logins: []Login{
		{Phone: "13800000001", Password: "Demo@2022sup", Role: checkpoint.RoleSupervisor, StaffID: "demo-supervisor", SiteID: SiteID},
		{Phone: "13800000002", Password: "Demo@2022scan", Role: checkpoint.RoleScanner, StaffID: "demo-scanner", SiteID: SiteID},
	}}
	staff, err := db.AllStaff(ctx)
	if err != nil {
		return Info{}, fmt.Errorf("hq: seed demo: %w", err)
	}
	have := map[string]bool{}
	for _, st := range staff {
		// An account from before phone lookups is put again: the demo knows its phone.
		have[st.ID] = st.PhoneLookup != ""
	}
	names := map[string]string{"demo-supervisor": "王建国", "demo-scanner": "李晓明"}
	for _, l := range info.Logins {
		if have[l.StaffID] {
			continue
		}
		if _, err := s.PutStaff(ctx, hq.StaffRequest{ID: l.StaffID, Phone: l.Phone, Name: names[l.StaffID], Role: l.Role,
			SiteID: l.SiteID, Password: l.Password}); err != nil {
			return Info{}, fmt.Errorf("hq: seed demo: %w", err)
		}
	}
	if ok, err := s.HasIssuingKey(ctx); err != nil {
		return Info{}, fmt.Errorf("hq: seed demo: %w", err)
	} else if !ok {
		if _, err := s.NewIssuingKey(ctx, 0, false); err != nil {
			return Info{}, fmt.Errorf("hq: seed demo: %w", err)
		}
	}
	risk, err := s.RiskAreas(ctx)
	if err != nil {
		return Info{}, fmt.Errorf("hq: seed demo: %w", err)
	}
	if len(risk) == 0 {
		day := func(t time.Time) time.Time {
			t = t.In(checkpoint.ChinaTime)
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, checkpoint.ChinaTime)
		}
		l := checkpoint.RiskList{
			{Code: "220100", Level: checkpoint.RiskHigh, From: time.Date(2022, 3, 11, 0, 0, 0, 0, checkpoint.ChinaTime), To: time.Date(2022, 5, 10, 0, 0, 0, 0, checkpoint.ChinaTime)},
			{Code: "220102", Level: checkpoint.RiskHigh, From: day(now.AddDate(0, 0, -3)), To: day(now.AddDate(0, 0, 27))},
		}
		if err := s.SetRiskAreas(ctx, l); err != nil {
			return Info{}, fmt.Errorf("hq: seed demo: %w", err)
		}
	}
	people := []struct {
		label, name, id, status, reason string
	}{
		{"green, local (永吉)", "张三", residentID("220221", "19800101", 11), "green", ""},
		{"green, household in a current high-risk area (长春南关)", "李四", residentID("220102", "19900202", 22), "green", ""},
		{"yellow", "王五", residentID("220221", "19750303", 33), "yellow", "密接"},
	}
	for _, p := range people {
		resp, err := s.IssueCode(ctx, hq.IssueRequest{Name: p.name, IDNumber: p.id, Kind: string(checkpoint.KindPrinted)})
		if err != nil {
			return Info{}, fmt.Errorf("hq: seed demo: %w", err)
		}
		if resp.Status != p.status {
			if _, err := db.SetPersonStatus(ctx, sqldb.StatusChange{PersonID: resp.PersonID, Status: p.status, Reason: p.reason, At: now, Actor: "demo"}); err != nil {
				return Info{}, fmt.Errorf("hq: seed demo: %w", err)
			}
			if resp, err = s.IssueCode(ctx, hq.IssueRequest{Name: p.name, IDNumber: p.id, Kind: string(checkpoint.KindPrinted)}); err != nil {
				return Info{}, fmt.Errorf("hq: seed demo: %w", err)
			}
		}
		info.Codes = append(info.Codes, Code{Label: p.label, CodeID: resp.CodeID, Code: resp.Code})
	}
	ec, err := s.CreateEnrollCode(ctx, SiteID, 0)
	if err != nil {
		return Info{}, fmt.Errorf("hq: seed demo: %w", err)
	}
	info.EnrollmentCode = ec.Code
	return info, nil
}

// Config is what Start needs.
type Config struct {
	// Dir holds hq.db and root.key (made on first use).
	Dir string
	// AdminToken may be empty (admin API disabled).
	AdminToken string
	// Logger receives HQ's logs. Nil: discard.
	Logger *slog.Logger
	// Mounts and OnCore are passed to hq/server: handlers beside the API (the citizen pages).
	Mounts []server.Mount
	OnCore func(*hq.Server) ([]server.Mount, error)
}

// Demo is an in-process HQ for the kiosk's demo mode: a SQLite database in a directory,
// seeded, serving on a loopback port.
type Demo struct {
	URL        string // base URL, e.g. http://127.0.0.1:41234; the mounts are under it too
	AdminToken string
	Info       Info
	Server     *server.Server
	Core       *hq.Server // Server.Core()
	// Outbox holds the SMS messages the demo "sent" (吉事办 registration, 辅助登记); the citizen
	// pages at URL show them behind their "demo SMS" link.
	Outbox *sms.Outbox

	cancel    context.CancelFunc
	done      chan error
	closeOnce sync.Once
	closeErr  error
}

// Start opens (or reuses) Dir/hq.db and the root key Dir/root.key (made on first use), seeds
// it, and serves on 127.0.0.1 on a free port until Close or until ctx is cancelled.
func Start(ctx context.Context, cfg Config) (*Demo, error) {
	root, _, err := hq.LoadOrCreateRootKey(filepath.Join(cfg.Dir, hq.RootKeyFileName))
	if err != nil {
		return nil, err
	}
	outbox := sms.NewOutbox()
	srv, err := server.New(server.Config{
		Config: hq.Config{DSN: "sqlite:" + filepath.Join(cfg.Dir, "hq.db"), AdminToken: cfg.AdminToken, Logger: cfg.Logger, RootKey: root},
		Mounts: cfg.Mounts, OnCore: cfg.OnCore, Citizen: &server.Citizen{Outbox: outbox},
	})
	if err != nil {
		return nil, err
	}
	info, err := Seed(ctx, srv.Core())
	if err != nil {
		srv.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("hq: demo: listen: %w", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	d := &Demo{URL: "http://" + ln.Addr().String(), AdminToken: cfg.AdminToken, Info: info, Server: srv, Core: srv.Core(), Outbox: outbox,
		cancel: cancel, done: make(chan error, 1)}
	// Serve returns when sctx ends: on Close or when the caller's ctx is cancelled.
	go func() { d.done <- srv.Serve(sctx, ln) }()
	return d, nil
}

// Close stops the demo server and closes its database. It may be called more than once.
func (d *Demo) Close() error {
	d.closeOnce.Do(func() {
		d.cancel()
		d.closeErr = <-d.done
		if err := d.Server.Close(); d.closeErr == nil {
			d.closeErr = err
		}
	})
	return d.closeErr
}

// Port returns the demo server's TCP port.
func (d *Demo) Port() int {
	_, p, _ := net.SplitHostPort(d.URL[len("http://"):])
	n, _ := strconv.Atoi(p)
	return n
}
