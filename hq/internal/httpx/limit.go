package httpx

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Limiter is a per-key token bucket. Its map stays bounded under a flood of keys.
type Limiter struct {
	mu    sync.Mutex
	rate  float64
	burst float64
	now   func() time.Time
	b     map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter gives each key burst tokens, refilled at rate per second; now is the clock.
func NewLimiter(rate float64, burst int, now func() time.Time) *Limiter {
	return &Limiter{rate: rate, burst: float64(burst), now: now, b: map[string]*bucket{}}
}

// Allow takes a token for key; when none is left it returns false and how long until one is.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.b[key]
	if b == nil {
		if len(l.b) > 100_000 {
			l.prune(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.b[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// prune drops buckets that have refilled, which keeps the map bounded under a flood of keys.
func (l *Limiter) prune(now time.Time) {
	for k, b := range l.b {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.b, k)
		}
	}
}

// Lockout counts failed credentials per client address. After max failures within window the
// address is locked for window, and every authenticated call from it is refused — the right
// credential too, so that guessing cannot go on at the rate limit and end in a success.
type Lockout struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	m      map[string]*failures
}

type failures struct {
	n     int
	first time.Time // of the failures counted
	until time.Time // locked until; zero when not locked
}

// NewLockout locks a key out for window after max failures within window.
func NewLockout(max int, window time.Duration, now func() time.Time) *Lockout {
	return &Lockout{max: max, window: window, now: now, m: map[string]*failures{}}
}

// Locked reports whether key is locked out now, and for how much longer.
func (l *Lockout) Locked(key string) (time.Duration, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[key]
	if f == nil || !now.Before(f.until) {
		return 0, false
	}
	return f.until.Sub(now), true
}

// Fail counts a failure for key and reports whether it locked key out.
func (l *Lockout) Fail(key string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[key]
	if f == nil {
		if len(l.m) > 100_000 {
			l.prune(now)
		}
		f = &failures{}
		l.m[key] = f
	}
	if now.Sub(f.first) > l.window || (!f.until.IsZero() && !now.Before(f.until)) {
		f.n, f.first, f.until = 0, now, time.Time{}
	}
	f.n++
	if f.n >= l.max && f.until.IsZero() {
		f.until = now.Add(l.window)
		return true
	}
	return false
}

// prune drops entries whose failures and lockout are over, which keeps the map bounded.
func (l *Lockout) prune(now time.Time) {
	for k, f := range l.m {
		if now.Sub(f.first) > l.window && !now.Before(f.until) {
			delete(l.m, k)
		}
	}
}

// RetrySeconds is d rounded up to whole seconds, at least 1, for Retry-After.
func RetrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// WriteRateLimited answers 429 rate_limited with Retry-After for a wait of d.
func WriteRateLimited(w http.ResponseWriter, d time.Duration) {
	secs := RetrySeconds(d)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	WriteError(w, http.StatusTooManyRequests, "rate_limited",
		fmt.Sprintf("请求过于频繁，请 %d 秒后重试 / too many requests, retry after %d s", secs, secs))
}
