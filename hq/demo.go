package hq

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
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// Demo site ids.
const (
	DemoRootSiteID = "yongji"
	DemoSiteID     = "demo-site"
)

// DemoLogin is a demo staff account's login.
type DemoLogin struct {
	Phone    string          `json:"phone"`
	Password string          `json:"password"`
	Role     checkpoint.Role `json:"role"`
	StaffID  string          `json:"staff_id"`
	SiteID   string          `json:"site_id"`
}

// DemoCode is a demo person's printed health code.
type DemoCode struct {
	Label  string `json:"label"` // what the person is for, e.g. "green, local"
	CodeID string `json:"code_id"`
	Code   string `json:"code"` // the QR text
}

// DemoInfo is what SeedDemo set up.
type DemoInfo struct {
	EnrollmentCode string      `json:"enrollment_code"` // one-time, for DemoSiteID
	SiteID         string      `json:"site_id"`
	Logins         []DemoLogin `json:"logins"`
	Codes          []DemoCode  `json:"codes"`
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

// SeedDemo fills the database with a demo county: a root site, DemoSiteID and two sub-sites,
// a supervisor and a scanner at DemoSiteID, an issuing key, risk areas (Changchun high in
// spring 2022 and a current one) and three people with printed codes. It is idempotent: what
// exists is kept. Each call makes a fresh one-time enrollment code and fresh demo codes.
func (s *Server) SeedDemo(ctx context.Context) (DemoInfo, error) {
	now := s.now()
	sites := []checkpoint.Site{
		{ID: DemoRootSiteID, Name: "永吉县疫情防控指挥部", Address: "吉林省吉林市永吉县口前镇", Contact: "县指挥部", Phone: "0432-64222222", Division: "220221", Active: true},
		{ID: DemoSiteID, ParentID: DemoRootSiteID, Name: "口前镇检查站", Address: "永吉县口前镇吉桦路入口", Contact: "王站长", Phone: "0432-64200001", Division: "220221", Active: true},
		{ID: "demo-sub-1", ParentID: DemoSiteID, Name: "口前镇高速出口卡点", Address: "珲乌高速口前出口", Contact: "李组长", Phone: "0432-64200002", Division: "220221", Active: true},
		{ID: "demo-sub-2", ParentID: DemoSiteID, Name: "口前火车站卡点", Address: "口前火车站出站口", Contact: "赵组长", Phone: "0432-64200003", Division: "220221", Active: true},
	}
	for _, site := range sites {
		_, err := s.db.Site(ctx, site.ID)
		if err == nil {
			continue
		}
		if !errors.Is(err, sqldb.ErrNotFound) {
			return DemoInfo{}, fmt.Errorf("hq: seed demo: %w", err)
		}
		site.UpdatedAt = now.UTC()
		if err := s.db.PutSite(ctx, site); err != nil {
			return DemoInfo{}, fmt.Errorf("hq: seed demo: %w", err)
		}
	}
	info := DemoInfo{SiteID: DemoSiteID, Logins: []DemoLogin{
		{Phone: "13800000001", Password: "Demo@2022sup", Role: checkpoint.RoleSupervisor, StaffID: "demo-supervisor", SiteID: DemoSiteID},
		{Phone: "13800000002", Password: "Demo@2022scan", Role: checkpoint.RoleScanner, StaffID: "demo-scanner", SiteID: DemoSiteID},
	}}
	staff, err := s.db.AllStaff(ctx)
	if err != nil {
		return DemoInfo{}, fmt.Errorf("hq: seed demo: %w", err)
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
		if _, err := s.PutStaff(ctx, StaffRequest{ID: l.StaffID, Phone: l.Phone, Name: names[l.StaffID], Role: l.Role,
			SiteID: l.SiteID, Password: l.Password}); err != nil {
			return DemoInfo{}, fmt.Errorf("hq: seed demo: %w", err)
		}
	}
	if _, err := s.issuer(ctx, now); errors.Is(err, errNoKey) {
		if _, err := s.NewIssuingKey(ctx, 0, false); err != nil {
			return DemoInfo{}, fmt.Errorf("hq: seed demo: %w", err)
		}
	} else if err != nil {
		return DemoInfo{}, fmt.Errorf("hq: seed demo: %w", err)
	}
	risk, err := s.setting(ctx, setRiskAreas)
	if err != nil {
		return DemoInfo{}, fmt.Errorf("hq: seed demo: %w", err)
	}
	if risk == "[]" {
		day := func(t time.Time) time.Time {
			t = t.In(checkpoint.ChinaTime)
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, checkpoint.ChinaTime)
		}
		l := checkpoint.RiskList{
			{Code: "220100", Level: checkpoint.RiskHigh, From: time.Date(2022, 3, 11, 0, 0, 0, 0, checkpoint.ChinaTime), To: time.Date(2022, 5, 10, 0, 0, 0, 0, checkpoint.ChinaTime)},
			{Code: "220102", Level: checkpoint.RiskHigh, From: day(now.AddDate(0, 0, -3)), To: day(now.AddDate(0, 0, 27))},
		}
		if err := s.SetRiskAreas(ctx, l); err != nil {
			return DemoInfo{}, fmt.Errorf("hq: seed demo: %w", err)
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
		resp, err := s.IssueCode(ctx, IssueRequest{Name: p.name, IDNumber: p.id, Kind: string(checkpoint.KindPrinted)})
		if err != nil {
			return DemoInfo{}, fmt.Errorf("hq: seed demo: %w", err)
		}
		if resp.Status != p.status {
			if _, err := s.db.SetPersonStatus(ctx, resp.PersonID, p.status, p.reason, now); err != nil {
				return DemoInfo{}, fmt.Errorf("hq: seed demo: %w", err)
			}
			if resp, err = s.IssueCode(ctx, IssueRequest{Name: p.name, IDNumber: p.id, Kind: string(checkpoint.KindPrinted)}); err != nil {
				return DemoInfo{}, fmt.Errorf("hq: seed demo: %w", err)
			}
		}
		info.Codes = append(info.Codes, DemoCode{Label: p.label, CodeID: resp.CodeID, Code: resp.Code})
	}
	ec, err := s.CreateEnrollCode(ctx, DemoSiteID, 0)
	if err != nil {
		return DemoInfo{}, fmt.Errorf("hq: seed demo: %w", err)
	}
	info.EnrollmentCode = ec.Code
	return info, nil
}

// Demo is an in-process HQ for the kiosk's demo mode: a SQLite database in a directory,
// seeded, serving on a loopback port.
type Demo struct {
	URL        string // base URL, e.g. http://127.0.0.1:41234
	AdminToken string
	Info       DemoInfo
	Server     *Server

	cancel    context.CancelFunc
	done      chan error
	closeOnce sync.Once
	closeErr  error
}

// StartDemo opens (or reuses) dir/hq.db and the root key dir/root.key (made on first use), seeds it, and serves on 127.0.0.1 on a free port until
// Close or until ctx is cancelled. adminToken may be empty (admin API disabled).
func StartDemo(ctx context.Context, dir string, adminToken string, log *slog.Logger) (*Demo, error) {
	root, _, err := LoadOrCreateRootKey(filepath.Join(dir, RootKeyFileName))
	if err != nil {
		return nil, err
	}
	srv, err := New(Config{DSN: "sqlite:" + filepath.Join(dir, "hq.db"), AdminToken: adminToken, Logger: log, RootKey: root})
	if err != nil {
		return nil, err
	}
	info, err := srv.SeedDemo(ctx)
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
	d := &Demo{URL: "http://" + ln.Addr().String(), AdminToken: adminToken, Info: info, Server: srv, cancel: cancel, done: make(chan error, 1)}
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
