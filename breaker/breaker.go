// Package breaker is the client-side adaptive throttling of Google's SRE book
// ("Handling Overload", chapter 21), the circuit breaker gox clients keep per
// instance. Over a sliding window it counts the calls the client attempted
// (requests) and the calls the backend accepted (accepts), and rejects a
// new call locally with probability
//
//	max(0, (requests − K·accepts) / (requests + 1))
//
// While the backend accepts everything nothing is rejected. When it starts
// failing, the client sheds a growing share of its calls instead of sending
// them, and lets enough through to notice the recovery: unlike a three-state
// breaker there is no half-open probe to tune, and a partially failing
// backend keeps getting the traffic it can take.
//
// The same algorithm is in kratos (go-kratos/aegis circuitbreaker/sre) and
// go-zero (core/breaker); it is written here because it is 100 lines and
// aegis would bring gopsutil and its other dependencies into gox's core.
package breaker

import (
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// ErrOpen is returned by Allow when the call is rejected locally.
var ErrOpen = errors.New("circuit breaker is open")

// SRE is one adaptive throttle; safe for concurrent use.
type SRE struct {
	k        float64
	min      int64
	buckets  []bucket
	width    time.Duration
	mu       sync.Mutex
	now      func() time.Time
	lastDrop float64
}

type bucket struct {
	start    int64 // unix nanoseconds the bucket's slot began; stale when older than the window
	requests int64
	accepts  int64
}

// Option tunes an SRE breaker.
type Option func(*SRE)

// WithK sets the multiplier K (default 1.5): the client sends up to K times
// the calls the backend accepts before it starts rejecting. The SRE book uses
// 2; lower is more aggressive.
func WithK(k float64) Option { return func(b *SRE) { b.k = k } }

// WithMinRequests sets how many requests the window must hold before
// anything is rejected (default 20), so that a few failures at low traffic
// do not shed calls.
func WithMinRequests(n int64) Option { return func(b *SRE) { b.min = n } }

// WithWindow sets the sliding window and its number of buckets (default 10 s
// in 40 buckets).
func WithWindow(d time.Duration, buckets int) Option {
	return func(b *SRE) {
		if d > 0 && buckets > 0 {
			b.width = d / time.Duration(buckets)
			b.buckets = make([]bucket, buckets)
		}
	}
}

// withClock is for tests.
func withClock(now func() time.Time) Option { return func(b *SRE) { b.now = now } }

// New returns a breaker.
func New(opts ...Option) *SRE {
	b := &SRE{k: 1.5, min: 20, now: time.Now}
	WithWindow(10*time.Second, 40)(b)
	for _, o := range opts {
		o(b)
	}
	if b.k < 1 {
		b.k = 1
	}
	return b
}

// Allow says whether a call may go out; a call that was allowed must end in
// Success or Failure.
//
// Unlike the book (and kratos and go-zero), a call rejected here does not
// count as a request: counted, the rejections keep the ratio near 1 after
// the backend recovered, and traffic comes back only by a factor of K per
// window — minutes. Not counted, a backend that is well again gets its
// traffic back within one window, while a backend that stays down still
// sees only 1 in (requests+1) calls.
func (b *SRE) Allow() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now().UnixNano()
	requests, accepts := b.sum(now)
	p := 0.0
	if requests >= b.min {
		p = max(0, (float64(requests)-b.k*float64(accepts))/float64(requests+1))
	}
	b.lastDrop = p
	if p > 0 && rand.Float64() < p {
		return ErrOpen
	}
	return nil
}

// Success records a call the backend accepted.
func (b *SRE) Success() { b.mark(true) }

// Failure records a call the backend did not accept (refused, unavailable,
// timed out, failed on the server's side).
func (b *SRE) Failure() { b.mark(false) }

func (b *SRE) mark(ok bool) {
	b.mu.Lock()
	s := b.slot(b.now().UnixNano())
	s.requests++
	if ok {
		s.accepts++
	}
	b.mu.Unlock()
}

// Stats returns the window's requests and accepts and the rejection
// probability the last Allow computed.
func (b *SRE) Stats() (requests, accepts int64, drop float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	requests, accepts = b.sum(b.now().UnixNano())
	return requests, accepts, b.lastDrop
}

// slot returns the bucket for now, emptied if it last served an older slot.
func (b *SRE) slot(now int64) *bucket {
	w := int64(b.width)
	start := now - now%w
	s := &b.buckets[(now/w)%int64(len(b.buckets))]
	if s.start != start {
		*s = bucket{start: start}
	}
	return s
}

func (b *SRE) sum(now int64) (requests, accepts int64) {
	oldest := now - int64(b.width)*int64(len(b.buckets))
	for i := range b.buckets {
		if s := &b.buckets[i]; s.start > oldest {
			requests += s.requests
			accepts += s.accepts
		}
	}
	return requests, accepts
}
