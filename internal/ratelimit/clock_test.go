package ratelimit

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock the test moves; safe for concurrent use.
type fakeClock struct{ ns atomic.Int64 }

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func (c *fakeClock) now() time.Time               { return epoch.Add(time.Duration(c.ns.Load())) }
func (c *fakeClock) elapsed() time.Duration       { return time.Duration(c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration)      { c.ns.Add(int64(d)) }
func (c *fakeClock) set(sinceEpoch time.Duration) { c.ns.Store(int64(sinceEpoch)) }

func newLimiter(t testing.TB, a Algorithm, limit int, per time.Duration, burst int, c *fakeClock) *Limiter {
	t.Helper()
	l, err := New(a, limit, per, burst, 0, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func reserve(t testing.TB, l *Limiter, key string, maxWait time.Duration) (time.Duration, bool) {
	t.Helper()
	wait, ok, err := l.Reserve(context.Background(), key, maxWait)
	if err != nil {
		t.Fatalf("Reserve: %v", err)
	}
	if !ok && wait <= 0 {
		t.Fatalf("refused with Retry-After %v, want > 0", wait)
	}
	return wait, ok
}

// near reports whether a and b differ by at most a microsecond: the token
// bucket computes in float64.
func near(a, b time.Duration) bool { return max(a-b, b-a) <= time.Microsecond }
