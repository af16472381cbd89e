package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/demo"
)

// TestServeEndToEnd runs the real `hq serve --demo` wiring on a temp database and port :0,
// enrolls with the printed code, pushes a record, and reads it back with `hq stats`.
func TestServeEndToEnd(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "sub", "hq.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := &serveMain{}
	if err := m.parseFlags([]string{"--addr", "127.0.0.1:0", "--db", dsn, "--demo"}, nil); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := m.open(ctx, &out, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.srv.Serve(ctx, m.ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
			m.close()
		})
	}
	defer stop()
	text := out.String()
	code := regexp.MustCompile(`(?m)^enrollment code: (\S+)$`).FindStringSubmatch(text)
	if code == nil || !regexp.MustCompile(`(?m)^demo login: 13800000001 / \S+ \(supervisor\)$`).MatchString(text) ||
		!strings.Contains(text, "admin token: ") {
		t.Fatalf("demo output:\n%s", text)
	}
	base := "http://" + m.ln.Addr().String()
	post := func(path, auth string, body any, out any) int {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(out)
		return resp.StatusCode
	}
	var enr checkpoint.EnrollResponse
	if st := post("/api/v1/enroll", "", checkpoint.EnrollRequest{Code: code[1], DeviceName: "e2e"}, &enr); st != 200 || enr.SiteID != demo.SiteID {
		t.Fatalf("enroll: %d %+v", st, enr)
	}
	r := checkpoint.Record{ID: uuid.NewString(), Kind: checkpoint.KindCheck, DeviceID: enr.DeviceID, SiteID: "demo-sub-1",
		StaffID: "demo-scanner", CreatedAt: time.Now().UTC(), Body: json.RawMessage(`{"verdict":"pass","reasons":[]}`)}
	var pr checkpoint.PushResponse
	if st := post("/api/v1/batches", "Bearer "+enr.DeviceID+"."+enr.Secret, checkpoint.PushRequest{Records: []checkpoint.Record{r}}, &pr); st != 200 || len(pr.Results) != 1 || pr.Results[0].Status != "stored" {
		t.Fatalf("push: %d %+v", st, pr)
	}
	if st := post("/api/v1/batches", "Bearer forged.secret", checkpoint.PushRequest{}, &pr); st != 401 {
		t.Fatalf("forged push: %d", st)
	}
	stop() // graceful shutdown; stats then reads the closed database

	var so, se bytes.Buffer
	if rc := runStats(context.Background(), []string{"--db", dsn}, &so, &se); rc != 0 {
		t.Fatalf("stats: %d %s", rc, se.String())
	}
	var st hq.Stats
	if err := json.Unmarshal(so.Bytes(), &st); err != nil {
		t.Fatalf("stats output %q: %v", so.String(), err)
	}
	if st.Checks != 1 || st.RejectedRequests != 1 || strings.Count(so.String(), "\n") != 1 {
		t.Fatalf("stats = %s", so.String())
	}
	so.Reset()
	if rc := runRechecks(context.Background(), []string{"--db", dsn}, &so, &se); rc != 0 || so.Len() != 0 {
		t.Fatalf("rechecks: %d %q %s; want nothing listed", rc, so.String(), se.String())
	}
	if rc := runEnrollCode(context.Background(), []string{"--db", dsn, "--site", "demo-sub-2"}, &so, &se); rc != 0 ||
		!regexp.MustCompile(`^[A-Z2-9]{4}(-[A-Z2-9]{4}){8}\n$`).MatchString(so.String()) {
		t.Fatalf("enroll-code: %d %q %s", rc, so.String(), se.String())
	}
}

// TestServeImportKey starts serve with a key made by `hq keygen` and checks HQ publishes it.
func TestServeImportKey(t *testing.T) {
	dir := t.TempDir()
	var so, se bytes.Buffer
	if rc := runKeygen(context.Background(), []string{"--out", dir}, &so, &se); rc != 0 {
		t.Fatalf("keygen: %d %s", rc, se.String())
	}
	m := &serveMain{}
	dsn := "sqlite:" + filepath.Join(dir, "hq.db")
	if err := m.parseFlags([]string{"--addr", "127.0.0.1:0", "--db", dsn, "--import-key", filepath.Join(dir, "issuer.key")}, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 { // importing twice is harmless
		if err := m.open(context.Background(), &so, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		m.ln.Close()
		m.close()
	}
	srv, err := hq.New(hq.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	keys, err := srv.DB().Keys(context.Background())
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys = %v, %v; want the imported one", keys, err)
	}
	if _, err := srv.IssueCode(context.Background(), hq.IssueRequest{Name: "张三", IDNumber: "11010519491231002X"}); err != nil {
		t.Fatalf("issue with the imported key: %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "hq.db")
	cases := []struct {
		name string
		run  func(context.Context, []string, *bytes.Buffer, *bytes.Buffer) int
		args []string
		want int
	}{
		{"serve bad flag", wrap(runServe), []string{"--nope"}, 2},
		{"serve extra arg", wrap(runServe), []string{"x"}, 2},
		{"serve bad level", wrap(runServe), []string{"--log-level", "loud"}, 2},
		{"enroll-code no site", wrap(runEnrollCode), []string{"--db", dsn}, 2},
		{"enroll-code unknown site", wrap(runEnrollCode), []string{"--db", dsn, "--site", "nope"}, 1},
		{"stats extra", wrap(runStats), []string{"--db", dsn, "x"}, 2},
		{"stats bad dsn", wrap(runStats), []string{"--db", "mysql://x"}, 1},
		{"serve short admin token", wrap(runServe), []string{"--db", dsn, "--admin-token", "admin-token-for-tests"}, 2},
		{"serve short issue token", wrap(runServe), []string{"--db", dsn, "--issue-token", "issue"}, 2},
		{"serve issue token = admin token", wrap(runServe), []string{"--db", dsn, "--admin-token", testToken, "--issue-token", testToken}, 2},
		{"serve bad trusted proxy", wrap(runServe), []string{"--db", dsn, "--trusted-proxy", "10.0.0.0/33"}, 2},
		{"rechecks extra", wrap(runRechecks), []string{"--db", dsn, "x"}, 2},
		{"rechecks bad limit", wrap(runRechecks), []string{"--db", dsn, "--limit", "0"}, 2},
	}
	for _, c := range cases {
		var so, se bytes.Buffer
		if rc := c.run(context.Background(), c.args, &so, &se); rc != c.want || se.Len() == 0 || strings.Count(se.String(), "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want %d and one line", c.name, rc, se.String(), c.want)
		}
	}
}

// testToken is long and random enough for hq serve.
const testToken = "cmd-hq-test-token-0123456789-ABCDEFGHIJKLMNOPQRSTUV"

// TestServeTokenLength: hq serve refuses an admin token shorter than 32 random bytes would be,
// and says why.
func TestServeTokenLength(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "hq.db")
	var so, se bytes.Buffer
	rc := runServe(context.Background(), []string{"--db", dsn, "--addr", "127.0.0.1:0", "--admin-token", "short-token"}, &so, &se)
	if rc != 2 || !strings.Contains(se.String(), "admin token refused") || !strings.Contains(se.String(), "at least 43") {
		t.Fatalf("short admin token: exit %d, stderr %q; want 2 and why", rc, se.String())
	}
	t.Setenv("CHECKPOINT_ADMIN_TOKEN", "env-short")
	m := &serveMain{}
	if err := m.parseFlags([]string{"--db", dsn}, nil); err == nil {
		t.Fatal("a short CHECKPOINT_ADMIN_TOKEN was accepted")
	}
}

func TestServeFlags(t *testing.T) {
	t.Setenv("CHECKPOINT_ADMIN_TOKEN", "")
	m := &serveMain{}
	err := m.parseFlags([]string{"--admin-token", testToken, "--issue-token", testToken + "-issue",
		"--trusted-proxy", "10.0.0.0/8, 192.168.1.7", "--trusted-proxy", "fd00::/8"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range m.trusted {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/8 192.168.1.7/32 fd00::/8" || m.issueToken != testToken+"-issue" {
		t.Fatalf("trusted = %v, issue token %q", got, m.issueToken)
	}
	if m.retentionMonths != 0 {
		t.Errorf("retention months by default = %d; want 0 (keep all)", m.retentionMonths)
	}
	m = &serveMain{}
	if err := m.parseFlags([]string{"--retention-months", "6"}, nil); err != nil || m.retentionMonths != 6 {
		t.Errorf("--retention-months 6: %v, %d", err, m.retentionMonths)
	}
	for _, bad := range []string{"-1", "121"} {
		m = &serveMain{}
		if err := m.parseFlags([]string{"--retention-months", bad}, nil); err == nil {
			t.Errorf("--retention-months %s accepted", bad)
		}
	}
	t.Setenv("CHECKPOINT_HQ_RETENTION_MONTHS", "x")
	m = &serveMain{}
	if err := m.parseFlags(nil, nil); err == nil {
		t.Error("CHECKPOINT_HQ_RETENTION_MONTHS=x accepted")
	}
}

func wrap(f func(context.Context, []string, io.Writer, io.Writer) int) func(context.Context, []string, *bytes.Buffer, *bytes.Buffer) int {
	return func(ctx context.Context, a []string, o, e *bytes.Buffer) int { return f(ctx, a, o, e) }
}

// TestServeSMSKeysMissing: a provider without its keys stops hq serve with the variables' names,
// before anything (database, root key) is made on disk.
func TestServeSMSKeysMissing(t *testing.T) {
	for _, v := range []string{"CHECKPOINT_SMS", "CHECKPOINT_SMS_TENCENT_SECRET_ID", "CHECKPOINT_SMS_TENCENT_SECRET_KEY"} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	var so, se bytes.Buffer
	rc := runServe(context.Background(), []string{"--db", "sqlite:" + dir + "/data/hq.db", "--addr", "127.0.0.1:0", "--sms", "tencent"}, &so, &se)
	if rc == 0 || !strings.Contains(se.String(), "CHECKPOINT_SMS_TENCENT_SECRET_ID") || !strings.Contains(se.String(), "缺少环境变量") {
		t.Fatalf("exit %d, stderr %q; want a failure naming the missing variables", rc, se.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("made %v before failing", entries)
	}
}
