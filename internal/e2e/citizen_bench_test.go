package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/server"
	"github.com/yongji-county/checkpoint/hq/sms"
)

// BenchmarkCitizen measures 吉事办 under a crowd, on SQLite: 100 logins at once (HQ runs at most
// two argon2id hashes at a time and queues the rest; the process's peak RSS is reported, goal ≤
// 1 GiB), then 200 logged-in clients each fetching their code (GET /api/v1/citizen/code) once a
// second for 10 s — far more often than the page does (at two thirds of a code's lifetime) —
// with the latency of every fetch (p50/p99, goal p99 ≤ 50 ms), and the same clients fetching as
// fast as they can (the most HQ serves). Client and HQ share the process, so the RSS is
// an upper bound for HQ's. Each client comes from its own address (X-Forwarded-For through a
// trusted proxy), as phones do. Run it with
//
//	go test -run '^$' -bench Citizen -benchtime 1x ./internal/e2e/
func BenchmarkCitizen(b *testing.B) {
	const accounts, clients, burst = 20, 200, 100
	outbox := sms.NewOutbox()
	root, err := checkpoint.GenerateRootKey()
	if err != nil {
		b.Fatal(err)
	}
	srv, err := server.New(server.Config{
		Config: hq.Config{DSN: "sqlite:" + b.TempDir() + "/hq.db", RootKey: root, ClientRate: 1e6, ClientBurst: 1e6,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		Citizen: &server.Citizen{Outbox: outbox},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	if _, err := srv.Core().NewIssuingKey(context.Background(), 0, false); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()
	base := "http://" + ln.Addr().String()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 2 * time.Minute}
	post := func(path, addr string, body any) (*http.Response, error) {
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", addr)
		return hc.Do(req)
	}
	phone := func(i int) string { return fmt.Sprintf("1390000%04d", i) }
	const password = "citizen2026"
	for i := range accounts {
		addr := fmt.Sprintf("10.9.%d.1", i)
		resp, err := post("/api/v1/citizen/sms", addr, map[string]string{"phone": phone(i), "purpose": "register"})
		if err != nil || resp.StatusCode != http.StatusAccepted {
			b.Fatalf("sms %d: %v %v", i, err, resp)
		}
		resp.Body.Close()
		msgs := outbox.Messages(phone(i))
		if len(msgs) == 0 {
			b.Fatalf("no SMS for account %d", i)
		}
		resp, err = post("/api/v1/citizen/register", addr, map[string]string{"phone": phone(i), "sms_code": msgs[len(msgs)-1].Code,
			"password": password, "name": "市民" + string([]rune("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉")[i]), "id_number": testResidentID("220221", "19900307", 100+i)})
		if err != nil || resp.StatusCode != http.StatusCreated {
			b.Fatalf("register %d: %v %v", i, err, resp)
		}
		resp.Body.Close()
	}

	// 200 sessions: two waves of 100 simultaneous logins; the process's peak RSS over them.
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // resets VmHWM (Linux); harmless if refused
	cookies := make([]string, clients)
	var loginTime time.Duration
	for wave := 0; wave < clients/burst; wave++ {
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, burst)
		for k := range burst {
			c := wave*burst + k
			wg.Go(func() {
				resp, err := post("/api/v1/citizen/login", fmt.Sprintf("10.8.%d.%d", c/250, c%250+1),
					map[string]string{"phone": phone(c % accounts), "password": password})
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("login %d: HTTP %d", c, resp.StatusCode)
					return
				}
				for _, ck := range resp.Cookies() {
					if strings.HasSuffix(ck.Name, "jsb_session") {
						cookies[c] = ck.Name + "=" + ck.Value
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		loginTime = max(loginTime, time.Since(start))
	}
	peak := procStatusKB("VmHWM")

	// 200 clients fetching their code: once a second each, then back to back.
	b.ResetTimer()
	fetch := func(c int, every time.Duration, d time.Duration) []time.Duration {
		var mine []time.Duration
		start := time.Now()
		next := start.Add(time.Duration(c) * every / clients) // spread over the period
		for time.Since(start) < d {
			if every > 0 {
				time.Sleep(time.Until(next))
				next = next.Add(every)
			}
			req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/citizen/code", nil)
			req.Header.Set("Cookie", cookies[c])
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.8.%d.%d", c/250, c%250+1))
			t0 := time.Now()
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return mine
			}
			var body struct {
				Code string `json:"code"`
			}
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || err != nil || body.Code == "" {
				b.Errorf("client %d: HTTP %d %v", c, resp.StatusCode, err)
				return mine
			}
			mine = append(mine, time.Since(t0))
		}
		return mine
	}
	run := func(every time.Duration) []time.Duration {
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				mine := fetch(c, every, 10*time.Second)
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(lat) == 0 {
			b.Fatal("no code fetched")
		}
		slices.Sort(lat)
		return lat
	}
	lat := run(time.Second)
	flat := run(0)
	b.StopTimer()
	q := func(lat []time.Duration, p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(flat))/10, "max-codes/s")
	b.ReportMetric(q(lat, 0.5), "code-p50-ms")
	b.ReportMetric(q(lat, 0.99), "code-p99-ms")
	b.ReportMetric(loginTime.Seconds(), "s/100-logins")
	b.ReportMetric(float64(peak)/1024, "login-peak-RSS-MiB")
}

// procStatusKB reads a "kB" field of /proc/self/status (0 when there is none).
func procStatusKB(field string) int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}
