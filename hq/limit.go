package hq

import (
	"math"
	"sync"
	"time"
)

// limiter is a per-key token bucket.
type limiter struct {
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

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	return &limiter{rate: rate, burst: float64(burst), now: now, b: map[string]*bucket{}}
}

// allow takes a token for key; when none is left it returns false and how long until one is.
func (l *limiter) allow(key string) (bool, time.Duration) {
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
func (l *limiter) prune(now time.Time) {
	for k, b := range l.b {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.b, k)
		}
	}
}

// lockout counts failed credentials per client address. After max failures within window the
// address is locked for window, and every authenticated call from it is refused — the right
// credential too, so that guessing cannot go on at the rate limit and end in a success.
type lockout struct {
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

func newLockout(max int, window time.Duration, now func() time.Time) *lockout {
	return &lockout{max: max, window: window, now: now, m: map[string]*failures{}}
}

// locked reports whether key is locked out now, and for how much longer.
func (l *lockout) locked(key string) (time.Duration, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[key]
	if f == nil || !now.Before(f.until) {
		return 0, false
	}
	return f.until.Sub(now), true
}

// fail counts a failure for key and reports whether it locked key out.
func (l *lockout) fail(key string) bool {
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
func (l *lockout) prune(now time.Time) {
	for k, f := range l.m {
		if now.Sub(f.first) > l.window && !now.Before(f.until) {
			delete(l.m, k)
		}
	}
}
