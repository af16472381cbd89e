package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	gosync "sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for per-test schemas

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	hqdemo "github.com/yongji-county/checkpoint/hq/demo"
	"github.com/yongji-county/checkpoint/hq/server"
	"github.com/yongji-county/checkpoint/internal/dbtest"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// backends are the HQ databases every test runs against.
var backends = dbtest.Backends()

// pgRequired reports whether a missing PostgreSQL fails the test rather than skipping it.

// privatePG starts a PostgreSQL cluster of this test's own with scripts/pg-start.sh (so that
// stopping it does not disturb other tests using the shared one) and returns its DSN and
// functions that stop and start it. It runs only where PostgreSQL is configured.
func privatePG(t testing.TB) (dsn string, stop, start func()) {
	t.Helper()
	if os.Getenv("CHECKPOINT_PG_DSN") == "" {
		dbtest.SkipOrFailNoPG(t)
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "pg-start.sh")
	dir, err := os.MkdirTemp("", "checkpoint-e2e-pg-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	port := freePort(t)
	env := append(os.Environ(), "PGTEST_DIR="+filepath.Join(dir, "data"), fmt.Sprintf("PGTEST_PORT=%d", port))
	run := func(args ...string) string {
		cmd := exec.Command(script, args...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("pg-start.sh %v: %v\n%s", args, err, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	dsn = run()
	t.Cleanup(func() {
		run("stop")
		os.RemoveAll(dir)
	})
	return dsn, func() { run("stop") }, func() { run() }
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// hqNode is an HQ server on a loopback port that a test can crash and start again on the same
// database and port.
type hqNode struct {
	t    testing.TB
	dsn  string
	addr string // host:port, fixed after the first start
	rate float64
	root ed25519.PrivateKey // the same across restarts, as a key file would be

	srv *hq.Server
	hs  *http.Server
}

func startHQ(t testing.TB, dsn string, rate float64) *hqNode {
	t.Helper()
	root, err := checkpoint.GenerateRootKey()
	if err != nil {
		t.Fatal(err)
	}
	n := &hqNode{t: t, dsn: dsn, addr: "127.0.0.1:0", rate: rate, root: root}
	n.start()
	t.Cleanup(n.crash)
	return n
}

func (n *hqNode) URL() string { return "http://" + n.addr }

// start opens the database and serves on n.addr. The serving goroutine ends at crash.
func (n *hqNode) start() {
	n.t.Helper()
	// Every kiosk here comes from 127.0.0.1: the per-address bucket must not be what limits them.
	cfg := hq.Config{DSN: n.dsn, AdminToken: "e2e-admin-token-0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ", ClientRate: 1e6, ClientBurst: 1e6, RootKey: n.root}
	if n.rate > 0 {
		cfg.DeviceRate, cfg.DeviceBurst = n.rate, int(n.rate)
	}
	hs, err := server.New(server.Config{Config: cfg})
	if err != nil {
		n.t.Fatalf("server.New: %v", err)
	}
	srv := hs.Core()
	var ln net.Listener
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln, err = net.Listen("tcp", n.addr)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		srv.Close()
		n.t.Fatalf("listen %s: %v", n.addr, err)
	}
	n.addr = ln.Addr().String()
	n.srv = srv
	n.hs = &http.Server{Handler: hs.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go n.hs.Serve(ln) // returns when crash closes the server
}

// crash stops HQ abruptly: the listener and every connection close at once, in-flight
// answers are lost.
func (n *hqNode) crash() {
	if n.hs == nil {
		return
	}
	n.hs.Close()
	n.srv.Close()
	n.hs, n.srv = nil, nil
}

// kiosk is a real kiosk store enrolled with HQ, and a sync client for it.
type kiosk struct {
	t     testing.TB
	dir   string
	db    *store.DB
	dev   store.Device
	staff string
	site  string // empty: the device's own site
	c     *sync.Client
}

// newKiosk seeds HQ's demo county, enrolls a fresh kiosk directly with HQ, pulls its
// configuration, and returns it with a client that talks to syncURL (a proxy, or HQ).
func newKiosk(t testing.TB, n *hqNode, syncURL string, cfg sync.Config) *kiosk {
	t.Helper()
	ctx := context.Background()
	info, err := hqdemo.Seed(ctx, n.srv)
	if err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	var staff string
	for _, l := range info.Logins {
		if l.Role == checkpoint.RoleScanner && l.SiteID == info.SiteID {
			staff = l.StaffID
		}
	}
	if staff == "" {
		t.Fatalf("demo has no scanner at %s: %+v", info.SiteID, info.Logins)
	}
	dir := t.TempDir()
	db, err := store.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	enroller := sync.New(db, sync.Config{DeviceName: "e2e"})
	dev, err := enroller.Enroll(ctx, n.URL(), info.EnrollmentCode)
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	if _, err := enroller.Pull(ctx); err != nil {
		t.Fatalf("first Pull: %v", err)
	}
	cfg.BaseURL = syncURL
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	return &kiosk{t: t, dir: dir, db: db, dev: dev, staff: staff, c: sync.New(db, cfg)}
}

// testLogger logs warnings to the test log (visible with -v or on failure).
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// record makes one record the way the kiosk window does: mostly checks, every tenth a staff
// event. i makes the content differ.
func (k *kiosk) record(ctx context.Context, i int) error {
	now := time.Now().UTC()
	m := store.Meta{StaffID: k.staff, SiteID: k.site}
	if i%10 == 9 {
		_, err := k.db.SaveStaffEvent(ctx, m, checkpoint.StaffEvent{Event: "local_stay_confirmed", At: now, Detail: fmt.Sprintf("e2e %d", i)})
		return err
	}
	verdict, reasons := "pass", []string{}
	if i%7 == 0 {
		verdict, reasons = "refer", []string{"fever"}
	}
	_, err := k.db.SaveCheck(ctx, m, checkpoint.Check{
		CodeID: fmt.Sprintf("e2e-code-%06d", i), CodeKind: "live", KeyID: "k1", NameMasked: "张*",
		IDMasked: "220221********1234", Household: "220221", CodeStatus: "green",
		Verdict: verdict, Reasons: reasons, TempTenths: 360 + i%15, Online: i%3 == 0,
		ScannedAt: now, ConfirmedAt: now, Remarks: fmt.Sprintf("第%d位 #%d", i, i),
	}, checkpoint.Personal{})
	return err
}

// recordN records n records, calling SyncNow every `every` records, and fails t on the first
// error. It returns how long recording took.
func (k *kiosk) recordN(ctx context.Context, from, n, every int) time.Duration {
	start := time.Now()
	for i := from; i < from+n; i++ {
		if err := k.record(ctx, i); err != nil {
			k.t.Errorf("record %d: %v", i, err)
			return time.Since(start)
		}
		if every > 0 && i%every == every-1 {
			k.c.SyncNow()
		}
	}
	return time.Since(start)
}

func (k *kiosk) stats() store.OutboxStats {
	st, err := k.db.OutboxStats(context.Background())
	if err != nil {
		k.t.Fatal(err)
	}
	return st
}

// outbox reads every record's envelope bytes straight from the kiosk database.
func (k *kiosk) outbox() map[string][]byte {
	k.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(k.dir, store.FileName)+"?mode=ro")
	if err != nil {
		k.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id, envelope FROM outbox`)
	if err != nil {
		k.t.Fatal(err)
	}
	defer rows.Close()
	m := map[string][]byte{}
	for rows.Next() {
		var id string
		var env []byte
		if err := rows.Scan(&id, &env); err != nil {
			k.t.Fatal(err)
		}
		m[id] = env
	}
	if err := rows.Err(); err != nil {
		k.t.Fatal(err)
	}
	return m
}

// hqCount is how many records HQ holds, of every kind.
func hqCount(t testing.TB, n *hqNode) int64 {
	t.Helper()
	counts, err := n.srv.DB().CountRecords(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, c := range counts {
		total += c
	}
	return total
}

// checkExactlyOnce verifies that HQ holds exactly the kiosk's records, each byte for byte the
// envelope the kiosk saved, and that the kiosk has nothing pending or quarantined.
func checkExactlyOnce(t testing.TB, n *hqNode, k *kiosk, want int) {
	t.Helper()
	ctx := context.Background()
	sent := k.outbox()
	if len(sent) != want {
		t.Errorf("kiosk outbox holds %d records; want %d", len(sent), want)
	}
	if got := hqCount(t, n); got != int64(len(sent)) {
		t.Errorf("HQ holds %d records; kiosk made %d", got, len(sent))
	}
	st := k.stats()
	if st.Pending != 0 || st.Quarantined != 0 || st.Synced != len(sent) {
		t.Errorf("kiosk outbox = %+v; want 0 pending, 0 quarantined, %d synced", st, len(sent))
	}
	if q, _ := k.db.Quarantined(ctx); len(q) > 0 {
		t.Errorf("quarantined: %+v", q[0])
	}
	bad := 0
	for id, env := range sent {
		rec, err := n.srv.DB().Record(ctx, id)
		if err != nil {
			t.Errorf("HQ record %s: %v", id, err)
			if bad++; bad > 5 {
				break
			}
			continue
		}
		got, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, env) {
			t.Errorf("record %s differs:\n HQ:    %s\n kiosk: %s", id, got, env)
			if bad++; bad > 5 {
				break
			}
		}
	}
}

// waitFor polls ok until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runClient starts k's background sync loop and returns a function that shuts it down
// (flushing once) and waits for the loop to end.
func runClient(t testing.TB, k *kiosk) (shutdown func()) {
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- k.c.Run(ctx) }() // ends at Shutdown or cancel
	var once gosync.Once
	shutdown = func() {
		once.Do(func() {
			sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer scancel()
			if err := k.c.Shutdown(sctx); err != nil && !errors.Is(err, context.Canceled) {
				t.Logf("Shutdown: %v", err)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v; want nil", err)
			}
		})
	}
	t.Cleanup(shutdown)
	return shutdown
}

// toxic is a TCP proxy (toxiproxy, in process) in front of upstream with the given toxics.
func toxic(t testing.TB, upstream string, toxics ...string) string {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(server, "hq", "127.0.0.1:0", u.Host)
	if err := p.Start(); err != nil {
		t.Fatalf("toxiproxy: %v", err)
	}
	t.Cleanup(p.Stop)
	for _, tx := range toxics {
		if _, err := p.Toxics.AddToxicJson(strings.NewReader(tx)); err != nil {
			t.Fatalf("toxiproxy: add %s: %v", tx, err)
		}
	}
	return "http://" + p.Listen
}
