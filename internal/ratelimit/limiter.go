package ratelimit

import (
	"context"
	"fmt"
	"math"
	"time"

	"golang.org/x/time/rate"

	"github.com/goxkit/gox/internal/clock"
)

// Algorithm is how a Limiter counts calls.
type Algorithm int

const (
	// TokenBucket admits Limit calls per Per on average with bursts of up
	// to Burst (golang.org/x/time/rate). It is the zero Algorithm.
	TokenBucket Algorithm = iota
	// SlidingWindow admits at most Limit calls in any span of Per.
	SlidingWindow
)

// String returns the algorithm's name as configuration spells it.
func (a Algorithm) String() string {
	switch a {
	case TokenBucket:
		return "token_bucket"
	case SlidingWindow:
		return "sliding_window"
	}
	return fmt.Sprintf("Algorithm(%d)", int(a))
}

// Limiter limits the calls of each key to a rate, with the state of at most
// maxKeys keys kept in the process. It has the shape of governance.Limiter.
// It is safe for concurrent use.
type Limiter struct {
	keys *Keyed[keyState]
	now  func() time.Time
}

// keyState is the state of one key under an algorithm. Each reads the clock
// under its own lock.
type keyState interface {
	reserve(now func() time.Time, maxWait time.Duration) (time.Duration, bool)
	remaining(now func() time.Time) float64
}

// New returns a Limiter admitting limit calls per per under each key, with
// bursts of up to burst calls (TokenBucket only; SlidingWindow ignores it).
// It keeps at most maxKeys keys (DefaultMaxKeys if maxKeys <= 0) and reads
// the time from now (a clock as cheap as time.Now if nil).
func New(algorithm Algorithm, limit int, per time.Duration, burst int, maxKeys int, now func() time.Time) (*Limiter, error) {
	if limit <= 0 || per <= 0 {
		return nil, fmt.Errorf("ratelimit: limit %d per %s: both must be positive", limit, per)
	}
	if now == nil {
		now = clock.Now
	}
	var newLimit func() keyState
	switch algorithm {
	case TokenBucket:
		if burst < 1 {
			return nil, fmt.Errorf("ratelimit: burst must be at least 1, got %d", burst)
		}
		r := rate.Limit(float64(limit) / per.Seconds())
		newLimit = func() keyState { return newBucket(r, burst) }
	case SlidingWindow:
		if limit > math.MaxInt32 {
			return nil, fmt.Errorf("ratelimit: a sliding window counts at most %d calls, got %d", math.MaxInt32, limit)
		}
		cfg := &windowConfig{limit: int64(limit), per: per, slice: (per + windowSlices - 1) / windowSlices}
		newLimit = func() keyState { return newWindow(cfg) }
	default:
		return nil, fmt.Errorf("ratelimit: unknown algorithm %s", algorithm)
	}
	return &Limiter{keys: NewKeyed(maxKeys, newLimit), now: now}, nil
}

// Reserve counts a call of key if it may go now or after waiting at most
// maxWait, and returns that wait and true. Otherwise it counts nothing and
// returns how long until the call could go without waiting (> 0, rounded up
// to a millisecond) and false. err is always nil: the state is in memory.
func (l *Limiter) Reserve(_ context.Context, key string, maxWait time.Duration) (wait time.Duration, ok bool, err error) {
	wait, ok = l.keys.Get(key).reserve(l.now, maxWait)
	return wait, ok, nil
}

// Tokens returns what is left of key's limit now: the tokens in its bucket
// (below zero while calls are queued) or the calls its window would admit at
// once. ok is false when key is not held (never seen, or evicted); it then
// has all of its limit.
func (l *Limiter) Tokens(key string) (tokens float64, ok bool) {
	k, ok := l.keys.Peek(key)
	if !ok {
		return 0, false
	}
	return k.remaining(l.now), true
}

// Len returns how many keys the Limiter holds.
func (l *Limiter) Len() int { return l.keys.Len() }
