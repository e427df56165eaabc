// Package retry repeats outgoing calls that failed in a way another attempt
// may fix — the instance was unreachable, unavailable or timed out — but
// only calls that are safe to repeat, with exponential backoff and full
// jitter, within the call's deadline, and within a retry budget so that
// retries cannot multiply the load on a service that is already failing.
//
// A call is repeated when it is idempotent: the transport says so
// (its Transporter has an Idempotent() bool method: HTTP GET, HEAD, OPTIONS, PUT, DELETE; gRPC methods
// with the idempotency_level option or listed with WithIdempotent), or the
// caller marked it with Idempotent(ctx). A failure that carries a retry
// delay (errors.RetryAfter: an overloaded gox server's Retry-After or gRPC
// RetryInfo) is not retried sooner than it says, nor at all when the call's
// deadline comes first — as grpc-go honours server pushback. Each attempt goes through the
// selector again, which sends it to an instance the earlier attempts did not
// try while there is one.
package retry

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/internal/clock"
	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/selector"
	"github.com/goxkit/gox/transport"
)

type idempotentKey struct{}

// Idempotent marks the calls made with ctx as safe to repeat (a POST with an
// idempotency key, say).
func Idempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

// Option tunes Client.
type Option func(*options)

type options struct {
	attempts  int
	base, cap time.Duration
	budget    *Budget
	retryable func(error) bool
	sleep     func(context.Context, time.Duration) bool
}

// WithAttempts sets how many times a call may be tried in all (default 3).
func WithAttempts(n int) Option { return func(o *options) { o.attempts = max(n, 1) } }

// WithBackoff sets the first retry's backoff bound and the cap; the n-th retry
// waits a random time up to min(cap, base·2ⁿ⁻¹) (default 25 ms and 1 s).
func WithBackoff(base, cap time.Duration) Option {
	return func(o *options) { o.base, o.cap = base, cap }
}

// WithBudget shares a budget between clients (default: one per Client).
func WithBudget(b *Budget) Option { return func(o *options) { o.budget = b } }

// WithRetryable replaces the test of which errors are worth another attempt
// (default Transient).
func WithRetryable(f func(error) bool) Option { return func(o *options) { o.retryable = f } }

// Transient says whether err is worth another attempt, on another instance:
// unavailable (503: refused, reset, draining) except when no instance exists
// or every breaker is open, bad gateway (502), and timeouts of the callee
// (504) — the caller's own deadline is checked separately.
func Transient(err error) bool {
	e := errors.FromError(err)
	switch e.Code {
	case http.StatusServiceUnavailable:
		return e.Reason != selector.ReasonNoInstance && e.Reason != selector.ReasonCircuitOpen
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// Client retries idempotent outgoing calls.
func Client(opts ...Option) middleware.Middleware {
	o := options{attempts: 3, base: 25 * time.Millisecond, cap: time.Second, retryable: Transient, sleep: clock.Sleep}
	for _, f := range opts {
		f(&o)
	}
	if o.budget == nil {
		o.budget = NewBudget(0.2, 10)
	}
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			o.budget.request()
			if o.attempts <= 1 || !idempotent(ctx) {
				return next(ctx, req)
			}
			ctx = selector.NewAttemptsContext(ctx)
			var reply any
			var err error
			for attempt := 1; ; attempt++ {
				reply, err = next(ctx, req)
				if err == nil || attempt == o.attempts || ctx.Err() != nil || !o.retryable(err) {
					return reply, err
				}
				wait := backoff(o.base, o.cap, attempt)
				if after, ok := errors.RetryAfter(err); ok && after > wait {
					wait = after // the server's pushback (an overloaded gox server's Retry-After)
				}
				if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
					return reply, err // no time left for another attempt
				}
				if !o.budget.withdraw() {
					return reply, err
				}
				if !o.sleep(ctx, wait) {
					return reply, err
				}
			}
		}
	}
}

func idempotent(ctx context.Context) bool {
	if v, _ := ctx.Value(idempotentKey{}).(bool); v {
		return true
	}
	tr, ok := transport.FromClientContext(ctx)
	if !ok {
		return false
	}
	i, ok := tr.(transportx.Idempotent)
	return ok && i.Idempotent()
}

// backoff is "full jitter" (AWS Architecture Blog, Exponential Backoff and
// Jitter): uniform in [0, min(cap, base·2^(attempt-1))].
func backoff(base, cap time.Duration, attempt int) time.Duration {
	d := base << min(attempt-1, 30)
	if d <= 0 || d > cap {
		d = cap
	}
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// Budget bounds retries to a share of the calls, as Finagle's RetryBudget:
// each call deposits ratio of a token, each retry withdraws one, and a
// reserve of minPerSecond tokens a second lets a quiet client retry at all.
// The balance is capped at max(10, minPerSecond), so a burst after a quiet
// spell cannot retry much. Safe for concurrent use.
type Budget struct {
	mu      sync.Mutex
	ratio   float64
	perSec  float64
	cap     float64
	balance float64
	last    time.Time
	now     func() time.Time
}

// NewBudget returns a budget allowing retries of ratio of the calls (0.2:
// one retry per five calls) plus minPerSecond a second.
func NewBudget(ratio, minPerSecond float64) *Budget {
	c := max(10, minPerSecond)
	return &Budget{ratio: ratio, perSec: minPerSecond, cap: c, balance: c, now: time.Now}
}

func (b *Budget) refill() {
	now := b.now()
	if !b.last.IsZero() {
		b.balance = min(b.cap, b.balance+b.perSec*now.Sub(b.last).Seconds())
	}
	b.last = now
}

func (b *Budget) request() {
	b.mu.Lock()
	b.refill()
	b.balance = min(b.cap, b.balance+b.ratio)
	b.mu.Unlock()
}

// withdraw takes a token for one retry, or says there is none.
func (b *Budget) withdraw() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	if b.balance < 1 {
		return false
	}
	b.balance--
	return true
}
