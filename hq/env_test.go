package hq

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/internal/dbtest"
)

const testAdmin = "test-admin-token-0123456789-abcdefghijklmnopqrstuvwxyz"

// A fixed, syntactically valid argon2id hash: tests need not pay for real hashing.
const fakePHC = "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"

// env is a running HQ with a small site tree:
//
//	r ─┬─ a ── a1
//	   └─ b
//
// staff sup-a (supervisor at a), scan-a (a), scan-a1 (a1), scan-b (b), and two enrolled
// devices: devA at a, devB at b.
type env struct {
	t      testing.TB
	srv    *Server
	ts     *httptest.Server
	devA   checkpoint.EnrollResponse
	devB   checkpoint.EnrollResponse
	client *http.Client
	root   ed25519.PrivateKey
}

func testRoot(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	k, err := checkpoint.GenerateRootKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// configAnswer is a config pull with its envelopes opened unverified, for tests about what
// HQ sends; TestConfigSigned checks the signatures.
type configAnswer struct {
	Datasets   []checkpoint.Dataset
	RootChain  []checkpoint.RootLink
	ServerTime time.Time
}

func (c *configAnswer) UnmarshalJSON(b []byte) error {
	var r checkpoint.ConfigResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	c.ServerTime, c.RootChain, c.Datasets = r.ServerTime, r.RootChain, nil
	for _, e := range r.Datasets {
		var p checkpoint.DatasetPayload
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return err
		}
		c.Datasets = append(c.Datasets, p.Dataset())
	}
	return nil
}

func newEnv(t testing.TB, dsn string, cfg Config) *env {
	t.Helper()
	cfg.DSN = dsn
	if cfg.AdminToken == "" {
		cfg.AdminToken = testAdmin
	}
	if cfg.DeviceRate == 0 {
		cfg.DeviceRate, cfg.DeviceBurst = 1e6, 1e6
	}
	if cfg.RootKey == nil {
		cfg.RootKey = testRoot(t)
	}
	if cfg.ClientRate == 0 {
		cfg.ClientRate, cfg.ClientBurst = 1e6, 1e6
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &env{t: t, srv: srv, ts: ts, client: ts.Client(), root: cfg.RootKey}
	ctx := context.Background()
	// The sites and roster were set up a day ago, so that a test can change them "3 h ago"
	// (outside the judging window of a record made now, see judgeSlack).
	now := time.Now().UTC().Add(-24 * time.Hour)
	for _, s := range []checkpoint.Site{
		{ID: "r", Name: "县", Address: "x", Contact: "c", Phone: "1", Active: true, UpdatedAt: now},
		{ID: "a", ParentID: "r", Name: "A", Address: "x", Contact: "c", Phone: "1", Active: true, UpdatedAt: now},
		{ID: "a1", ParentID: "a", Name: "A1", Address: "x", Contact: "c", Phone: "1", Active: true, UpdatedAt: now},
		{ID: "b", ParentID: "r", Name: "B", Address: "x", Contact: "c", Phone: "1", Active: true, UpdatedAt: now},
	} {
		if err := srv.db.PutSite(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []checkpoint.Staff{
		{ID: "sup-a", Role: checkpoint.RoleSupervisor, SiteID: "a"},
		{ID: "scan-a", Role: checkpoint.RoleScanner, SiteID: "a"},
		{ID: "scan-a1", Role: checkpoint.RoleScanner, SiteID: "a1"},
		{ID: "scan-b", Role: checkpoint.RoleScanner, SiteID: "b"},
	} {
		s.PhoneLookup, s.NameMasked, s.PasswordHash, s.Active, s.UpdatedAt = "pl-"+s.ID, "张*", fakePHC, true, now
		if err := srv.db.PutStaff(ctx, sqldb.StaffAccount{Staff: s, PhoneHash: "ph-" + s.ID, PhoneMasked: "138****0000"}); err != nil {
			t.Fatal(err)
		}
	}
	e.devA = e.enroll("a")
	e.devB = e.enroll("b")
	return e
}

func (e *env) enroll(site string) checkpoint.EnrollResponse {
	e.t.Helper()
	code, err := e.srv.CreateEnrollCode(context.Background(), site, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var resp checkpoint.EnrollResponse
	st := e.do("POST", "/api/v1/enroll", "", checkpoint.EnrollRequest{Code: code.Code, DeviceName: "kiosk"}, &resp)
	if st != 200 {
		e.t.Fatalf("enroll: status %d", st)
	}
	return resp
}

func devAuth(d checkpoint.EnrollResponse) string { return "Bearer " + d.DeviceID + "." + d.Secret }

// do sends body (JSON-encoded unless []byte) and decodes the answer into out.
func (e *env) do(method, path, auth string, body any, out any, hdr ...string) int {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: status %d, cannot decode %q: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

// rec makes a check record for device d at site, by staff.
func rec(d checkpoint.EnrollResponse, site, staff string) checkpoint.Record {
	return checkpoint.Record{ID: uuid.Must(uuid.NewV7()).String(), Kind: checkpoint.KindCheck, DeviceID: d.DeviceID,
		SiteID: site, StaffID: staff, CreatedAt: time.Now().UTC().Truncate(time.Microsecond),
		Body: json.RawMessage(`{"verdict":"pass","reasons":[],"online":false,"scanned_at":"2022-04-01T08:00:00Z","confirmed_at":"2022-04-01T08:00:05Z"}`)}
}

func (e *env) push(d checkpoint.EnrollResponse, recs ...checkpoint.Record) (int, checkpoint.PushResponse) {
	e.t.Helper()
	var resp checkpoint.PushResponse
	st := e.do("POST", "/api/v1/batches", devAuth(d), checkpoint.PushRequest{Records: recs}, &resp)
	return st, resp
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func (e *env) stats() Stats {
	e.t.Helper()
	var st Stats
	if code := e.do("GET", "/api/v1/admin/metrics", "Bearer "+testAdmin, nil, &st); code != 200 {
		e.t.Fatalf("metrics: %d", code)
	}
	return st
}

// forEachBackend runs fn as a subtest on SQLite and on PostgreSQL.
func forEachBackend(t *testing.T, fn func(t *testing.T, dsn string)) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, b.DSN(t))
		})
	}
}

func statusesOf(r checkpoint.PushResponse) string {
	s := ""
	for i, x := range r.Results {
		if i > 0 {
			s += ","
		}
		s += x.Status
		if x.Error != "" {
			s += "(" + x.Error + ")"
		}
	}
	return s
}

func newRecorder(srv *Server, method, path, auth string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rr := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rr, req)
	return rr
}
