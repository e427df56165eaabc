// Package redis shares gox's rate limits between every replica of a service
// through Redis: a governance.Limiter per governance.Rate, deciding each call
// with the generic cell rate algorithm (GCRA) in one Lua script, one round
// trip, timed by the Redis server's clock. It owns the limiter's keys (one
// string per limited key, expiring when idle); the policy of what to limit
// and what to do when Redis fails is middleware/governance's.
//
//	limits := redis.New(client) // client: a go-redis UniversalClient you made
//	var factory governance.LimiterFactory = limits.Limiter // "redis" in governance.WithLimiters
package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/goxkit/gox/middleware/governance"
)

// DefaultPrefix is put before every key New's limiters write.
const DefaultPrefix = "gox:rl:"

type options struct {
	prefix string
	now    func() time.Time // tests only: the script's clock instead of Redis TIME
}

// Option configures New and Open.
type Option func(*options)

// WithPrefix puts prefix before every key instead of DefaultPrefix (Open:
// the config's prefix + "rl:"), so that services can share one Redis.
func WithPrefix(prefix string) Option { return func(o *options) { o.prefix = prefix } }

// Limiters makes the governance.Limiter of each Rate over one Redis client.
// It is safe for concurrent use.
type Limiters struct {
	client goredis.UniversalClient
	opts   options
	owned  bool // made by Open: Close closes the client
}

// New returns Limiters over client, which stays yours: Close leaves it open.
// A call never blocks past its context; give the client
// ContextTimeoutEnabled too, or a call abandoned at its deadline keeps a
// connection busy until the client's ReadTimeout.
func New(client goredis.UniversalClient, opts ...Option) *Limiters {
	o := options{prefix: DefaultPrefix}
	for _, f := range opts {
		f(&o)
	}
	return &Limiters{client: client, opts: o}
}

// Limiter returns the Limiter of r; it is a governance.LimiterFactory. The
// error names the field of r that is wrong; a limit of more than one call
// a microsecond (10⁶/s on one key) is refused too.
func (l *Limiters) Limiter(r governance.Rate) (governance.Limiter, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("redis rate limit: %w", err)
	}
	interval := float64(r.Per) / float64(time.Microsecond) / float64(r.Limit)
	if interval < 1 { // the script's clock counts µs
		return nil, fmt.Errorf("redis rate limit: limit %d per %s is more than one call a microsecond", r.Limit, r.Per)
	}
	return &limiter{
		l:         l,
		interval:  strconv.FormatFloat(interval, 'g', -1, 64),
		tolerance: strconv.FormatFloat(interval*float64(r.Burst), 'g', -1, 64),
	}, nil
}

// Close closes the client when Open made it, and does nothing otherwise.
func (l *Limiters) Close() error {
	if !l.owned {
		return nil
	}
	return l.client.Close()
}

var _ governance.LimiterFactory = (*Limiters)(nil).Limiter

// limiter is the governance.Limiter of one Rate; its script arguments are
// formatted once.
type limiter struct {
	l                   *Limiters
	interval, tolerance string // µs
}

var _ governance.Limiter = (*limiter)(nil)

// Reserve implements governance.Limiter. Its error, which names redis and
// the key, is Redis's, or the context's when that ends first: Reserve
// returns then even if Redis has not answered.
func (lim *limiter) Reserve(ctx context.Context, key string, maxWait time.Duration) (time.Duration, bool, error) {
	now := ""
	if lim.l.opts.now != nil {
		now = strconv.FormatInt(lim.l.opts.now().UnixMicro(), 10)
	}
	keys := []string{lim.l.opts.prefix + key}
	args := []any{lim.interval, lim.tolerance, max(maxWait, 0).Microseconds(), now}
	run := func() (any, error) { return gcra.Run(ctx, lim.l.client, keys, args...).Result() }
	reply, err := untilDone(ctx, run)
	if err != nil {
		return 0, false, fmt.Errorf("redis rate limit %q: %w", key, err)
	}
	wait, ok, err := parseReply(reply)
	if err != nil {
		return 0, false, fmt.Errorf("redis rate limit %q: %w", key, err)
	}
	return wait, ok, nil
}

// untilDone runs f and returns its result, or the context's error as soon as
// ctx ends: a client without ContextTimeoutEnabled reads on past the
// deadline, and f is then left to finish alone.
func untilDone(ctx context.Context, f func() (any, error)) (any, error) {
	if ctx.Done() == nil { // never ends: no need for a goroutine
		return f()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type result struct {
		v   any
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}
