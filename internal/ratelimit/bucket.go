package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// bucket is the token bucket of one key: golang.org/x/time/rate behind a lock
// of its own, so that looking at the bucket and taking a token are one step
// and a refused call leaves the bucket exactly as it was.
type bucket struct {
	mu    sync.Mutex
	lim   *rate.Limiter
	limit rate.Limit // lim's, kept here to read it without lim's lock
}

func newBucket(r rate.Limit, burst int) *bucket {
	return &bucket{lim: rate.NewLimiter(r, burst), limit: r}
}

// reserve reads the clock under the lock, so that the times one key sees never
// go back (x/time/rate refills twice the time between two out-of-order reads).
func (b *bucket) reserve(now func() time.Time, maxWait time.Duration) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := now()
	// Ask first, take after: a refusal does not touch the bucket, whose
	// state then changes only on admissions (no rounding creeping in from
	// take-and-give-back).
	wait := b.waitAt(t)
	if wait > maxWait {
		return retryAfter(wait), false
	}
	r := b.lim.ReserveN(t, 1)
	d := r.DelayFrom(t)
	if d > maxWait { // not expected: waitAt is ReserveN's own arithmetic
		r.CancelAt(t)
		return retryAfter(d), false
	}
	return d, true
}

// waitAt is how long a call at t waits for its token, as ReserveN reckons it.
func (b *bucket) waitAt(t time.Time) time.Duration {
	need := 1 - b.lim.TokensAt(t)
	if need <= 0 {
		return 0
	}
	return time.Duration(need / float64(b.limit) * float64(time.Second))
}

// remaining returns the tokens in the bucket; below zero, calls are queued.
func (b *bucket) remaining(now func() time.Time) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lim.TokensAt(now())
}

// retryAfter rounds a wait up to a whole millisecond, at least one: a retry
// after it finds the slot it was promised, and it is never 0.
func retryAfter(d time.Duration) time.Duration {
	if d <= 0 {
		return time.Millisecond
	}
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}
