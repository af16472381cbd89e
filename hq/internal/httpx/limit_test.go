package httpx

import (
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLimiterBurstAndRefill(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(2, 3, c.now) // 2 a second, burst 3
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d within the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th request: ok=%v wait=%v; want refused, 500ms", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key shares the first key's bucket")
	}
	c.t = c.t.Add(500 * time.Millisecond)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("no token after the refill time")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("refill gave more than one token in 500ms at 2/s")
	}
	c.t = c.t.Add(time.Hour)
	for i := range 4 {
		ok, _ := l.Allow("a")
		if ok != (i < 3) {
			t.Fatalf("after an hour, request %d: ok=%v; the bucket must refill to the burst and no further", i+1, ok)
		}
	}
}

func TestLimiterPrunesRefilledKeys(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := NewLimiter(1, 1, c.now)
	for i := range 100_002 {
		l.Allow(strconv.Itoa(i))
	}
	c.t = c.t.Add(time.Minute)
	l.Allow("fresh")
	if n := len(l.b); n > 2 {
		t.Fatalf("%d buckets kept after every key refilled; want the map pruned", n)
	}
}

func TestLockout(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	l := NewLockout(3, time.Minute, c.now)
	for i := range 2 {
		if l.Fail("ip:a") {
			t.Fatalf("failure %d locked out; want the third", i+1)
		}
	}
	if _, locked := l.Locked("ip:a"); locked {
		t.Fatal("locked after two failures")
	}
	if !l.Fail("ip:a") {
		t.Fatal("third failure did not lock out")
	}
	left, locked := l.Locked("ip:a")
	if !locked || left != time.Minute {
		t.Fatalf("Locked = %v, %v; want true, 1m", left, locked)
	}
	if _, locked := l.Locked("ip:b"); locked {
		t.Fatal("another address is locked too")
	}
	c.t = c.t.Add(time.Minute)
	if _, locked := l.Locked("ip:a"); locked {
		t.Fatal("still locked after the period")
	}
	if l.Fail("ip:a") {
		t.Fatal("one failure after the lockout locked again: the count must start over")
	}
	// Failures spread wider than the window never add up.
	c.t = c.t.Add(2 * time.Minute)
	l.Fail("ip:c")
	c.t = c.t.Add(2 * time.Minute)
	l.Fail("ip:c")
	c.t = c.t.Add(2 * time.Minute)
	if l.Fail("ip:c") {
		t.Fatal("three failures two minutes apart locked out with a one-minute window")
	}
}

func TestRetrySecondsAndWriteRateLimited(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 1, time.Millisecond: 1, 1500 * time.Millisecond: 2, 3 * time.Second: 3} {
		if got := RetrySeconds(d); got != want {
			t.Errorf("RetrySeconds(%v) = %d; want %d", d, got, want)
		}
	}
	rr := httptest.NewRecorder()
	WriteRateLimited(rr, 2100*time.Millisecond)
	if rr.Code != 429 || rr.Header().Get("Retry-After") != "3" {
		t.Fatalf("WriteRateLimited: %d Retry-After %q; want 429, 3", rr.Code, rr.Header().Get("Retry-After"))
	}
	if e := decodeError(t, rr); e.Error != "rate_limited" {
		t.Fatalf("error code %q; want rate_limited", e.Error)
	}
}
