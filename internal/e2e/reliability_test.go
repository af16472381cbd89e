package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/yongji-county/checkpoint/sync"
)

// records scales a test's record count: full by default, a tenth with -short, a fifth under
// the race detector (see race_test.go).
func records(full int) int {
	switch {
	case testing.Short():
		return full / 10
	case raceEnabled:
		return full / 5
	}
	return full
}

// faultyConfig is the client configuration for runs through faults: short timeouts and
// backoff so a test converges in seconds, batches small enough that faults hit many of them.
func faultyConfig() sync.Config {
	return sync.Config{
		BatchRecords:   200,
		RequestTimeout: 2 * time.Second,
		MinBackoff:     20 * time.Millisecond,
		MaxBackoff:     500 * time.Millisecond,
		Interval:       250 * time.Millisecond,
	}
}

// TestExactlyOnceUnderFaults records 10,000 records in the real kiosk store while the
// background sync pushes them to the real HQ through toxiproxy (latency, resets, cut-off
// answers at the TCP level) and a fault-injecting HTTP proxy (resets mid-request and
// mid-response, delays, answers held past the client's timeout, 500 after HQ committed, 503
// with Retry-After). HQ must end up with exactly the kiosk's records, byte for byte, and the
// kiosk's outbox must be empty.
func TestExactlyOnceUnderFaults(t *testing.T) {
	n := records(10000)
	for i, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			node := startHQ(t, b.DSN(t), 0) // HQ's own rate limit stays on: 429s are part of the test
			fp := newFaultProxy(t, node.URL(), uint64(42+i), 0.3)
			front := toxic(t, fp.URL(),
				`{"name":"lat","type":"latency","stream":"downstream","toxicity":1,"attributes":{"latency":2,"jitter":2}}`,
				`{"name":"rst","type":"reset_peer","stream":"upstream","toxicity":0.04,"attributes":{"timeout":0}}`,
				`{"name":"cut","type":"limit_data","stream":"downstream","toxicity":0.04,"attributes":{"bytes":3000}}`,
			)
			k := newKiosk(t, node, front, faultyConfig())
			shutdown := runClient(t, k)

			took := k.recordN(context.Background(), 0, n, 100)
			t.Logf("recorded %d records in %v while syncing", n, took)
			start := time.Now()
			waitFor(t, 4*time.Minute, "HQ to hold every record", func() bool {
				return k.stats().Pending == 0 && hqCount(t, node) == int64(n)
			})
			shutdown()
			t.Logf("converged %v after recording ended; fault proxy saw %s", time.Since(start), fp.summary())
			checkExactlyOnce(t, node, k, n)
			if fp.faults() == 0 {
				t.Errorf("no faults were injected (%s)", fp.summary())
			}
			if s := k.c.Status(); s.Pending != 0 || s.LastSuccess.IsZero() {
				t.Errorf("Status = %+v; want nothing pending and a last success", s)
			}
		})
	}
}

// TestHQRestartMidSync crashes HQ while the kiosk records and syncs, keeps recording through
// the outage, starts a new HQ on the same database and port, and checks that sync converges.
func TestHQRestartMidSync(t *testing.T) {
	n := records(3000)
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			node := startHQ(t, b.DSN(t), 1e6)
			k := newKiosk(t, node, node.URL(), faultyConfig())
			outage(t, k, n, node.crash, node.start)
			checkExactlyOnce(t, node, k, n)
		})
	}
}

// TestPostgresRestartMidSync stops HQ's PostgreSQL (a private cluster, through
// scripts/pg-start.sh) while the kiosk records and syncs, then starts it again.
func TestPostgresRestartMidSync(t *testing.T) {
	n := records(3000)
	dsn, stop, start := privatePG(t)
	node := startHQ(t, dsn, 1e6)
	k := newKiosk(t, node, node.URL(), faultyConfig())
	outage(t, k, n, stop, start)
	checkExactlyOnce(t, node, k, n)
}

// outage records n records in three parts while the background sync runs: the first with HQ
// up; then it calls down, waits until the kiosk has noticed, and records the second part during
// the outage (every save must succeed); then it calls up, records the rest, and waits for the
// outbox to drain.
func outage(t *testing.T, k *kiosk, n int, down, up func()) {
	t.Helper()
	ctx := context.Background()
	shutdown := runClient(t, k)
	third := n / 3
	k.recordN(ctx, 0, third, 50)
	down()
	k.c.SyncNow()
	waitFor(t, time.Minute, "the kiosk to notice the outage", func() bool {
		return k.c.Status().LastError.Code != ""
	})
	took := k.recordN(ctx, third, third, 50)
	s := k.c.Status()
	t.Logf("outage: kiosk says %q; recorded %d records in %v meanwhile; %d pending", s.LastError, third, took, k.stats().Pending)
	if p := k.stats().Pending; p < third {
		t.Errorf("%d pending during the outage; want at least the %d records made meanwhile", p, third)
	}
	up()
	k.recordN(ctx, 2*third, n-2*third, 50)
	start := time.Now()
	waitFor(t, 3*time.Minute, "sync to converge", func() bool {
		return k.stats().Pending == 0 && k.c.Status().LastError.Code == ""
	})
	shutdown()
	t.Logf("converged %v after recording ended", time.Since(start))
}
