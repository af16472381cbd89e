package hq

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

const testIssue = "test-issue-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ-9876543210"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// from sends a request to srv as if from remote (HOST:PORT), with header pairs.
func from(srv *Server, remote, method, path, auth string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader("{}"))
	req.RemoteAddr = remote
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	rr := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rr, req)
	return rr
}

// TestLockoutAfterGuessing: a burst of wrong admin tokens locks the address out, and the right
// token from it is refused with 429 until the lockout ends; other addresses are not affected.
func TestLockoutAfterGuessing(t *testing.T) {
	clk := &clock{t: time.Now()}
	e := newEnv(t, "sqlite:"+t.TempDir()+"/hq.db", Config{Now: clk.now})
	const attacker, other = "198.51.100.9:4711", "192.0.2.33:5000"
	for i := range 10 {
		if rr := from(e.srv, attacker, "GET", "/api/v1/admin/metrics", "Bearer guess-"+string(rune('a'+i))); rr.Code != 401 {
			t.Fatalf("guess %d: %d; want 401", i, rr.Code)
		}
	}
	rr := from(e.srv, attacker, "GET", "/api/v1/admin/metrics", "Bearer "+testAdmin)
	if rr.Code != 429 || rr.Header().Get("Retry-After") == "" || !strings.Contains(rr.Body.String(), "locked_out") {
		t.Fatalf("right token after a burst of wrong ones: %d %q Retry-After %q; want 429 locked_out", rr.Code, rr.Body, rr.Header().Get("Retry-After"))
	}
	// The device API from that address is locked too, right credential or not.
	if rr := from(e.srv, attacker, "GET", "/api/v1/config", devAuth(e.devA)); rr.Code != 429 {
		t.Fatalf("device call from the locked address: %d; want 429", rr.Code)
	}
	if rr := from(e.srv, other, "GET", "/api/v1/admin/metrics", "Bearer "+testAdmin); rr.Code != 200 {
		t.Fatalf("admin from another address: %d; want 200", rr.Code)
	}
	clk.add(14 * time.Minute)
	if rr := from(e.srv, attacker, "GET", "/api/v1/admin/metrics", "Bearer "+testAdmin); rr.Code != 429 {
		t.Fatalf("after 14 minutes: %d; want still 429", rr.Code)
	}
	clk.add(2 * time.Minute)
	if rr := from(e.srv, attacker, "GET", "/api/v1/admin/metrics", "Bearer "+testAdmin); rr.Code != 200 {
		t.Fatalf("after the lockout: %d; want 200", rr.Code)
	}
	if n := e.stats().Counters[cntLockedOut]; n != 3 {
		t.Errorf("%s = %d; want 3", cntLockedOut, n)
	}
}

// TestLockoutDeviceAndEnrollGuessing: forged device credentials and wrong enrollment codes count
// as guesses too.
func TestLockoutDeviceAndEnrollGuessing(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/hq.db", Config{})
	const attacker = "198.51.100.10:1"
	for i := range 5 {
		from(e.srv, attacker, "GET", "/api/v1/config", "Bearer "+e.devA.DeviceID+".wrong-secret")
		req := httptest.NewRequest("POST", "/api/v1/enroll", strings.NewReader(`{"code":"AAAA-BBBB-CCCC-DDD`+string(rune('0'+i))+`"}`))
		req.RemoteAddr = attacker
		rr := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(rr, req)
		if rr.Code != 403 {
			t.Fatalf("enroll guess %d: %d", i, rr.Code)
		}
	}
	if rr := from(e.srv, attacker, "GET", "/api/v1/config", devAuth(e.devA)); rr.Code != 429 {
		t.Fatalf("right device credential after 10 guesses: %d; want 429", rr.Code)
	}
	code, err := e.srv.CreateEnrollCode(context.Background(), "a", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/api/v1/enroll", strings.NewReader(`{"code":"`+code.Code+`"}`))
	req.RemoteAddr = attacker
	rr := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rr, req)
	if rr.Code != 429 {
		t.Fatalf("right enrollment code from the locked address: %d; want 429", rr.Code)
	}
}

// TestRateLimitBeforeCredentials: the address's bucket is taken before any credential is
// compared, so guesses cannot run at the speed of the database.
func TestRateLimitBeforeCredentials(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/hq.db", Config{ClientRate: 0.001, ClientBurst: 3, LockoutFailures: 100})
	for i := range 3 {
		if rr := from(e.srv, "203.0.113.7:1", "GET", "/api/v1/admin/metrics", "Bearer wrong"); rr.Code != 401 {
			t.Fatalf("request %d: %d", i, rr.Code)
		}
	}
	if rr := from(e.srv, "203.0.113.7:1", "GET", "/api/v1/admin/metrics", "Bearer wrong"); rr.Code != 429 || rr.Header().Get("Retry-After") == "" {
		t.Fatalf("4th request: %d; want 429 with Retry-After", rr.Code)
	}
}

// TestIssueToken: the issue token issues codes and nothing else; the admin token still issues.
func TestIssueToken(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/hq.db", Config{IssueToken: testIssue})
	if _, err := e.srv.NewIssuingKey(context.Background(), 0, false); err != nil {
		t.Fatal(err)
	}
	issue := IssueRequest{Name: "张三", IDNumber: greenID}
	for _, tok := range []string{testIssue, testAdmin} {
		var resp IssueResponse
		if st := e.do("POST", "/api/v1/codes", "Bearer "+tok, issue, &resp); st != 200 || resp.Code == "" {
			t.Fatalf("issue with %.10s…: %d %+v", tok, st, resp)
		}
	}
	for _, r := range [][2]string{
		{"GET", "/api/v1/admin/metrics"},
		{"GET", "/api/v1/admin/staff"},
		{"POST", "/api/v1/admin/people/status"},
		{"POST", "/api/v1/admin/keys"},
		{"GET", "/api/v1/admin/rechecks"},
	} {
		if st := e.do(r[0], r[1], "Bearer "+testIssue, []byte(`{}`), nil); st != 401 {
			t.Errorf("%s %s with the issue token: %d; want 401", r[0], r[1], st)
		}
	}
	if st := e.do("GET", "/api/v1/config", "Bearer "+testIssue, nil, nil); st != 401 {
		t.Errorf("device API with the issue token: %d; want 401", st)
	}
	// Only an issue token configured: issuing works, the admin API stays disabled.
	srv, err := New(Config{DSN: "sqlite:" + t.TempDir() + "/hq.db", IssueToken: testIssue})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if rr := from(srv, "192.0.2.1:1", "GET", "/api/v1/admin/metrics", "Bearer "+testIssue); rr.Code != 503 {
		t.Errorf("admin API with no admin token configured: %d; want 503", rr.Code)
	}
	if rr := from(srv, "192.0.2.1:1", "POST", "/api/v1/codes", "Bearer "+testIssue); rr.Code != 400 {
		t.Errorf("issue with only the issue token configured: %d; want 400 (empty request, but admitted)", rr.Code)
	}
}

// TestWeakTokensRefused: HQ does not start with an admin or issue token shorter than 32 random
// bytes would be.
func TestWeakTokensRefused(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name         string
		admin, issue string
	}{
		{"short admin", "admin-token-for-tests", ""},
		{"plain admin", strings.Repeat("ab", 30), ""},
		{"admin with a space", "test-admin-token 0123456789-abcdefghijklmnopqrstuvwxyz", ""},
		{"short issue", testAdmin, "issue"},
		{"issue same as admin", testAdmin, testAdmin},
	}
	for _, c := range cases {
		srv, err := New(Config{DSN: "sqlite:" + dir + "/hq.db", AdminToken: c.admin, IssueToken: c.issue})
		if err == nil {
			srv.Close()
			t.Errorf("%s: New accepted it", c.name)
			continue
		}
		if !errors.Is(err, ErrWeakToken) {
			t.Errorf("%s: %v; want ErrWeakToken", c.name, err)
		}
	}
	if err := CheckToken("q8Zk0m1yH3W6sT9vXcB2nL5pR7eA4dG0fJ1hK3uY6iO"); err != nil {
		t.Errorf("openssl rand -base64 32 style token refused: %v", err)
	}
}

// TestStaffAddCannotTouchSupervisors: a kiosk's staff_add creates or changes scanner accounts
// only. A supervisor may not promote anyone, nor overwrite a supervisor account (their own, or
// one below them) with a scanner entry carrying a password they chose.
func TestStaffAddCannotTouchSupervisors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		ctx := context.Background()
		sub := checkpoint.Staff{ID: "sup-a1", Role: checkpoint.RoleSupervisor, SiteID: "a1", PhoneLookup: "pl-sup-a1",
			NameMasked: "赵*", PasswordHash: fakePHC, Active: true, UpdatedAt: time.Now().UTC()}
		if err := e.srv.db.PutStaff(ctx, sqldb.StaffAccount{Staff: sub, PhoneHash: "ph-sup-a1", PhoneMasked: "138****0000"}); err != nil {
			t.Fatal(err)
		}
		const attackerPHC = "$argon2id$v=19$m=65536,t=3,p=2$YXR0YWNrZXJzYWx0$YXR0YWNrZXJoYXNoYXR0YWNrZXJoYXNoYXR0YWNrZXI"
		recs := []checkpoint.Record{
			e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "new-sup", Role: checkpoint.RoleSupervisor, SiteID: "a1"}),
			e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "scan-a1", Role: checkpoint.RoleSupervisor, SiteID: "a1"}),
			e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "sup-a1", Role: checkpoint.RoleScanner, SiteID: "a1", PasswordHash: attackerPHC}),
			e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "sup-a", Role: checkpoint.RoleScanner, SiteID: "a", PasswordHash: attackerPHC}),
			withBase(e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "scan-a1", Role: checkpoint.RoleScanner, SiteID: "a1", PasswordHash: attackerPHC}),
				checkpoint.EditBase{BaseRevision: 1}),
		}
		_, resp := e.push(e.devA, recs...)
		// Held at HQ for an operator (never applied), not bounced to the kiosk.
		want := "held(role_not_allowed),held(role_not_allowed),held(staff_add_not_allowed),held(staff_add_not_allowed),stored"
		if got := statusesOf(resp); got != want {
			t.Fatalf("push = %s\nwant  %s", got, want)
		}
		all, err := e.srv.db.AllStaff(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range all {
			switch st.ID {
			case "sup-a", "sup-a1":
				if st.Role != checkpoint.RoleSupervisor || st.PasswordHash != fakePHC {
					t.Errorf("%s is now %s with hash %q", st.ID, st.Role, st.PasswordHash)
				}
			case "new-sup":
				t.Errorf("new-sup was created")
			}
		}
	})
}

// TestInactiveStaffRecordsRefused: an account HQ has disabled cannot hand in records, whatever a
// stale roster on the kiosk says.
func TestInactiveStaffRecordsRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		ctx := context.Background()
		for _, id := range []string{"scan-a", "sup-a"} {
			st := checkpoint.Staff{ID: id, Role: checkpoint.RoleScanner, SiteID: "a", PhoneLookup: "pl-" + id,
				NameMasked: "张*", PasswordHash: fakePHC, Active: false, UpdatedAt: time.Now().UTC().Add(-3 * time.Hour)}
			if id == "sup-a" {
				st.Role = checkpoint.RoleSupervisor
			}
			if err := e.srv.db.PutStaff(ctx, sqldb.StaffAccount{Staff: st, PhoneHash: "ph-" + id, PhoneMasked: "138****0000"}); err != nil {
				t.Fatal(err)
			}
		}
		_, resp := e.push(e.devA,
			rec(e.devA, "a", "scan-a"),
			e.registration(e.devA, greenID),
			e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "scan-x", Role: checkpoint.RoleScanner, SiteID: "a"}),
			rec(e.devA, "a1", "scan-a1"))
		want := "held(staff_inactive),held(staff_inactive),held(staff_inactive),stored"
		if got := statusesOf(resp); got != want {
			t.Fatalf("push = %s; want %s", got, want)
		}
	})
}

// TestSpoofedForwardedForIgnored: an attacker who is not a trusted proxy cannot dodge the
// lockout by sending a new X-Forwarded-For with every guess; behind the trusted proxy, clients
// are told apart by the hop the proxy added.
func TestSpoofedForwardedForIgnored(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/hq.db", Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	for i := range 10 {
		from(e.srv, "203.0.113.5:1", "GET", "/api/v1/admin/metrics", "Bearer wrong", "X-Forwarded-For", "198.51.100."+string(rune('0'+i)))
	}
	if rr := from(e.srv, "203.0.113.5:1", "GET", "/api/v1/admin/metrics", "Bearer "+testAdmin, "X-Forwarded-For", "198.51.100.200"); rr.Code != 429 {
		t.Fatalf("untrusted peer with a fresh XFF after 10 guesses: %d; want 429", rr.Code)
	}
	// Through the proxy: one client guesses and is locked out, another is not.
	for range 10 {
		from(e.srv, "10.0.0.1:1", "GET", "/api/v1/admin/metrics", "Bearer wrong", "X-Forwarded-For", "198.51.100.7")
	}
	if rr := from(e.srv, "10.0.0.1:1", "GET", "/api/v1/admin/metrics", "Bearer "+testAdmin, "X-Forwarded-For", "6.6.6.6, 198.51.100.7"); rr.Code != 429 {
		t.Fatalf("locked client behind the proxy, spoofing a left hop: %d; want 429", rr.Code)
	}
	if rr := from(e.srv, "10.0.0.1:1", "GET", "/api/v1/admin/metrics", "Bearer "+testAdmin, "X-Forwarded-For", "198.51.100.8"); rr.Code != http.StatusOK {
		t.Fatalf("another client behind the proxy: %d; want 200", rr.Code)
	}
}
