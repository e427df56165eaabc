package governance

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/internal/clock"
	"github.com/goxkit/gox/internal/ratelimit"
	"github.com/goxkit/gox/internal/shed"
	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// Reasons of the errors a refused call gets.
const (
	// ReasonRateLimited (429): the operation's rate limit is used up.
	ReasonRateLimited = "RATE_LIMITED"
	// ReasonOverloaded (503): the shedder refused the call.
	ReasonOverloaded = "OVERLOADED"
	// ReasonConcurrencyLimited (503): the operation's bulkhead is full.
	ReasonConcurrencyLimited = "CONCURRENCY_LIMITED"
	// ReasonDeadlineTooShort (504): the call's deadline is shorter than the
	// operation typically takes.
	ReasonDeadlineTooShort = "DEADLINE_TOO_SHORT"
	// ReasonLimiterUnavailable (503): a shared rate limit's store failed and
	// the rule says on_error: reject.
	ReasonLimiterUnavailable = "RATE_LIMITER_UNAVAILABLE"
)

// kindEvent is the transport kind of event listeners (event.KindEvent,
// spelled out so that governance does not import the event bus).
const kindEvent transport.Kind = "event"

// Fallback answers for an operation when a call cannot be served as asked:
// refused by the governor, timed out, or failed because a dependency is
// unavailable (see ShouldDegrade); cause says why. It returns what the
// handler would have: the reply message for gRPC, a value written as JSON
// with 200 for HTTP, nil for a consumer (the message is acknowledged).
type Fallback func(ctx context.Context, req any, cause error) (any, error)

// Option configures New.
type Option func(*Governor)

// WithLogger sets the logger of reloads and limiter failures (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(g *Governor) { g.logger = l } }

// WithLimiters names the factories of shared rate limits a policy may use
// as rate_limit.backend ("redis": contrib/ratelimit/redis).
func WithLimiters(factories map[string]LimiterFactory) Option {
	return func(g *Governor) {
		for name, f := range factories {
			g.factories[name] = f
		}
	}
}

// WithFallback registers a fallback a rule may name.
func WithFallback(name string, f Fallback) Option {
	return func(g *Governor) { g.fallbacks[name] = f }
}

// WithSubject says who the authenticated caller of a call is, for rate
// limits keyed by "subject" (a user or client id the auth middleware put in
// the context). Without it such a limit is refused at New.
func WithSubject(f func(ctx context.Context) string) Option {
	return func(g *Governor) { g.subject = f }
}

// withClock replaces the clock, the CPU reading and the sleep of a
// waiting call (tests).
func withClock(now func() time.Time, cpu func() float64, sleep func(context.Context, time.Duration) bool) Option {
	return func(g *Governor) { g.now, g.cpu, g.sleep = now, cpu, sleep }
}

// withQueue replaces the reading of how long work waits for a CPU (tests).
func withQueue(queue func() time.Duration) Option { return func(g *Governor) { g.queue = queue } }

// Governor applies a governance policy to the calls of every transport
// through Middleware. Reload swaps the policy while it runs. Safe for
// concurrent use.
type Governor struct {
	logger    *slog.Logger
	factories map[string]LimiterFactory
	fallbacks map[string]Fallback
	subject   func(context.Context) string
	now       func() time.Time
	epoch     time.Time
	cpu       func() float64
	queue     func() time.Duration
	backlog   func() time.Duration
	sampler   *shed.Sampler
	sleep     func(context.Context, time.Duration) bool

	mu     sync.Mutex // serialises Reload
	policy atomic.Pointer[policy]
	ops    opTable

	lastLimiterLog atomic.Int64 // unix ns of the last limiter failure logged
}

// New returns a Governor applying c. It fails, naming the key, when c is
// invalid or names a backend or fallback that was not given.
func New(c Config, opts ...Option) (*Governor, error) {
	g := &Governor{logger: slog.Default(), factories: map[string]LimiterFactory{}, fallbacks: map[string]Fallback{},
		now: clock.Now, sleep: clock.Sleep}
	for _, o := range opts {
		o(g)
	}
	g.epoch = g.now()
	if g.cpu == nil {
		g.sampler = shed.NewSampler()
		g.cpu, g.queue, g.backlog = g.sampler.Usage, g.sampler.QueueDelay, g.sampler.Backlog
		go func() { _ = g.sampler.Start(context.Background()) }() // stopped by Close
	}
	p, err := g.compile(c, nil)
	if err != nil {
		g.Close()
		return nil, err
	}
	g.policy.Store(p)
	return g, nil
}

// Close stops the CPU sampler New started.
func (g *Governor) Close() error {
	if g.sampler != nil {
		return g.sampler.Stop(context.Background())
	}
	return nil
}

// Reload applies c from the next call on. An invalid c is refused with an
// error naming the key, and the running policy stays. Rate limits whose
// rule is unchanged keep their state; calls in flight finish under the
// policy they started with.
func (g *Governor) Reload(c Config) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, err := g.compile(c, g.policy.Load())
	if err != nil {
		return err
	}
	g.policy.Store(p)
	return nil
}

// policy is a Config made ready to apply.
type policy struct {
	cfg            Config
	shed           *shed.Shedder // nil: shedding off
	overloaded     *errors.Error // what a shed call gets: one error, made once
	shortDeadlines bool
	proxies        []netip.Prefix
	rules          []*rule
	byOp           sync.Map // operation → *rule (nil: none selects it)
	cached         atomic.Int64
}

// rule is a Rule made ready to apply.
type rule struct {
	cfg      Rule
	match    func(op string) bool
	limit    RateLimit // with defaults
	limiter  Limiter   // nil: no rate limit
	key      keySource
	priority shed.Priority
	fallback Fallback
	sems     sync.Map // operation → chan struct{}, the bulkhead of each
}

// maxOps bounds the operations a policy and the counters remember; more
// (which only a service with that many routes has) are looked up each call
// and counted under "(other)".
const maxOps = 4096

func (g *Governor) compile(c Config, old *policy) (*policy, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	p := &policy{cfg: c, shortDeadlines: c.Shedding.Enabled && c.Shedding.ShortDeadlines,
		overloaded: refusal(http.StatusServiceUnavailable, ReasonOverloaded, "the service is overloaded; retry later", max(c.Shedding.CoolOff, time.Second))}
	p.proxies, _ = parsePrefixes(c.TrustedProxies)
	if s := c.Shedding; s.Enabled {
		if old != nil && old.shed != nil && old.cfg.Shedding == s {
			p.shed = old.shed // its window of measurements goes on
		} else {
			p.shed = shed.New(g.cpu, shed.WithCPUThreshold(s.CPUThreshold), shed.WithLatencyFactor(s.LatencyFactor),
				shed.WithQueueDelay(g.queue, s.QueueDelay), shed.WithBacklog(g.backlog), shed.WithWindow(s.Window, s.Buckets),
				shed.WithCoolOff(s.CoolOff), shed.WithClock(func() time.Duration { return g.now().Sub(g.epoch) }))
		}
	}
	for i, rc := range c.Rules {
		r, err := g.compileRule(rc, old)
		if err != nil {
			return nil, fmt.Errorf("rules[%d].%w", i, err)
		}
		p.rules = append(p.rules, r)
	}
	return p, nil
}

func (g *Governor) compileRule(rc Rule, old *policy) (*rule, error) {
	r := &rule{cfg: rc}
	r.priority, _ = shedPriority(rc.Priority)
	r.match = matcher(rc)
	if rc.Fallback != "" {
		if r.fallback = g.fallbacks[rc.Fallback]; r.fallback == nil {
			return nil, fmt.Errorf("fallback %q is not registered (governance.WithFallback); registered: %s", rc.Fallback, names(g.fallbacks))
		}
	}
	if rc.RateLimit == nil {
		return r, nil
	}
	r.limit = rc.RateLimit.withDefaults()
	r.key, _ = parseKey(r.limit.Key)
	if r.key.kind == "subject" && g.subject == nil {
		return nil, fmt.Errorf("rate_limit.key subject needs governance.WithSubject, which says who the caller is")
	}
	if old != nil {
		for _, o := range old.rules {
			if o.limiter != nil && o.limit == r.limit && slices.Equal(o.cfg.Exact, rc.Exact) &&
				slices.Equal(o.cfg.Prefix, rc.Prefix) && o.cfg.Regex == rc.Regex {
				r.limiter = o.limiter // unchanged: its counts go on
				return r, nil
			}
		}
	}
	var err error
	if r.limit.Backend != "" {
		f := g.factories[r.limit.Backend]
		if f == nil {
			return nil, fmt.Errorf("rate_limit.backend %q is not one of local%s (governance.WithLimiters)", r.limit.Backend, strings.TrimPrefix(", "+names(g.factories), ", (none)"))
		}
		r.limiter, err = f(r.limit.Rate)
	} else {
		alg := ratelimit.TokenBucket
		if r.limit.Algorithm == SlidingWindow {
			alg = ratelimit.SlidingWindow
		}
		r.limiter, err = ratelimit.New(alg, r.limit.Limit, r.limit.Per, r.limit.Burst, r.limit.MaxKeys, g.now)
	}
	if err != nil {
		return nil, fmt.Errorf("rate_limit: %w", err)
	}
	return r, nil
}

func names[V any](m map[string]V) string {
	if len(m) == 0 {
		return "(none)"
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

func matcher(rc Rule) func(string) bool {
	var re *regexp.Regexp
	if rc.Regex != "" {
		re = regexp.MustCompile(rc.Regex) // validated
	}
	return func(op string) bool {
		if slices.Contains(rc.Exact, op) {
			return true
		}
		for _, p := range rc.Prefix {
			if strings.HasPrefix(op, p) {
				return true
			}
		}
		return re != nil && re.MatchString(op)
	}
}

func shedPriority(s string) (shed.Priority, error) {
	switch s {
	case PriorityLow:
		return shed.Low, nil
	case "", PriorityNormal:
		return shed.Normal, nil
	case PriorityCritical:
		return shed.Critical, nil
	}
	return shed.Normal, fmt.Errorf("priority %q is not one of %s, %s, %s", s, PriorityLow, PriorityNormal, PriorityCritical)
}

// ruleFor is the first rule selecting op, or nil.
func (p *policy) ruleFor(op string) *rule {
	if v, ok := p.byOp.Load(op); ok {
		return v.(*rule)
	}
	var found *rule
	for _, r := range p.rules {
		if r.match(op) {
			found = r
			break
		}
	}
	if p.cached.Add(1) <= maxOps {
		p.byOp.Store(op, found)
	}
	return found
}

// semaphore is op's bulkhead under r.
func (r *rule) semaphore(op string) chan struct{} {
	if v, ok := r.sems.Load(op); ok {
		return v.(chan struct{})
	}
	v, _ := r.sems.LoadOrStore(op, make(chan struct{}, r.cfg.MaxInFlight))
	return v.(chan struct{})
}

// builtinCritical says whether op is one a policy must not starve when no
// rule names it: gRPC health checks and reflection.
func builtinCritical(op string) bool {
	return strings.HasPrefix(op, "/grpc.health.v1.Health/") || strings.HasPrefix(op, "/grpc.reflection.")
}

// Middleware applies the policy to server calls (client calls pass
// through): in order, a deadline shorter than the operation typically takes,
// the rate limit, the bulkhead and the shedder may refuse a call; an
// admitted call runs under the rule's timeout; a refused or
// dependency-starved call is answered by the rule's fallback when it has
// one. Queue consumers and event listeners are not shed and wait for the
// rate limit and the bulkhead instead of being refused: they pull their
// work, and a refused message would only come back.
func (g *Governor) Middleware() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromServerContext(ctx)
			if !ok {
				return next(ctx, req)
			}
			return g.serve(ctx, tr, req, next)
		}
	}
}

func (g *Governor) serve(ctx context.Context, tr transport.Transporter, req any, next middleware.Handler) (any, error) {
	p := g.policy.Load()
	op := tr.Operation()
	st := g.ops.get(tr.Kind(), op)
	b := st.binding.Load()
	if b == nil || b.p != p {
		b = &binding{p: p, r: p.ruleFor(op), pr: shed.Normal} // once per operation and policy
		if b.r != nil {
			b.pr = b.r.priority
		} else if builtinCritical(op) {
			b.pr = shed.Critical
		}
		st.binding.Store(b)
	}
	r, pr := b.r, b.pr
	async := tr.Kind() == transport.KindQueue || tr.Kind() == kindEvent
	stream := false // a gRPC stream: admitted or refused as it opens; its length is no latency
	if s, ok := tr.(transportx.Streaming); ok {
		stream = s.Streaming()
	}

	start := g.startOf(tr)
	var end time.Time // when the handler returned
	if p.shortDeadlines && pr != shed.Critical && !async && !stream {
		if dl, ok := ctx.Deadline(); ok {
			now := start
			if typical := st.typical(now); typical > 0 {
				if left := dl.Sub(now); left < typical {
					return g.refuse(ctx, req, r, st, outDeadline, refusal(http.StatusGatewayTimeout, ReasonDeadlineTooShort,
						fmt.Sprintf("%s typically takes %s; the call has %s left", op, typical.Round(time.Microsecond), max(left, 0).Round(time.Microsecond)), 0))
				}
			}
		}
	}
	if r != nil && r.limiter != nil {
		if refused, err := g.limit(ctx, tr, p, r, st, op, async); refused {
			return g.refuse(ctx, req, r, st, outcomeOf(err), err)
		} else if err != nil {
			return nil, err // the context ended while waiting
		}
	}
	if r != nil && r.cfg.MaxInFlight > 0 {
		sem := r.semaphore(op)
		select {
		case sem <- struct{}{}:
		default:
			if !async {
				return g.refuse(ctx, req, r, st, outConcurrency, refusal(http.StatusServiceUnavailable, ReasonConcurrencyLimited,
					fmt.Sprintf("%s has %d calls in flight, its limit", op, r.cfg.MaxInFlight), time.Second))
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		defer func() { <-sem }()
	}
	if p.shed != nil && !async {
		tok, ok := p.shed.AllowAt(pr, start.Sub(g.epoch))
		if !ok {
			return g.refuse(ctx, req, r, st, outShed, p.overloaded)
		}
		if stream {
			p.shed.Forget(tok)
		} else {
			defer func() {
				if end.IsZero() { // the handler panicked
					end = g.endOf(tr)
				}
				p.shed.DoneAt(tok, end.Sub(g.epoch))
			}()
		}
	}
	if r != nil && r.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.cfg.Timeout)
		defer cancel()
	}
	st.count(outAdmitted)
	if r != nil && r.limiter != nil && (r.limit.Wait > 0 || async) {
		start = g.now() // it may have waited its turn: its latency counts from now
	}
	reply, err := next(ctx, req)
	end = g.endOf(tr)
	if err == nil {
		if !stream {
			st.observe(end, end.Sub(start))
		}
		return reply, nil
	}
	if r != nil && r.fallback != nil && ShouldDegrade(err) {
		st.count(outFallback)
		return r.fallback(ctx, req, err)
	}
	return reply, err
}

// startOf is when the call arrived, as its transport stamped it (no clock
// read), else now.
func (g *Governor) startOf(tr transport.Transporter) time.Time {
	if s, ok := tr.(transportx.Started); ok {
		if t := s.Start(); !t.IsZero() {
			return t
		}
	}
	return g.now()
}

// endOf is when the handler returned, as its transport stamped it, else now.
func (g *Governor) endOf(tr transport.Transporter) time.Time {
	if e, ok := tr.(transportx.Ended); ok {
		if t := e.End(); !t.IsZero() {
			return t
		}
	}
	return g.now()
}

// limit takes the call's share of r's rate limit, waiting when it may.
// refused says the call is to be refused with err; otherwise err is the
// context's, when it ended while waiting.
func (g *Governor) limit(ctx context.Context, tr transport.Transporter, p *policy, r *rule, st *opStats, op string, async bool) (refused bool, err error) {
	key := op
	if r.key.kind != "" {
		key = op + "\x00" + g.requestKey(ctx, tr, r.key, p.proxies)
	}
	maxWait := r.limit.Wait
	if async {
		maxWait = time.Hour // a consumer waits its turn, however long (its context still ends it)
		if dl, ok := ctx.Deadline(); ok {
			maxWait = dl.Sub(g.now())
		}
	}
	wait, ok, lerr := r.limiter.Reserve(ctx, key, maxWait)
	switch {
	case lerr != nil:
		st.count(outLimiterError)
		g.logLimiterError(op, r.limit.Backend, lerr)
		if r.limit.OnError == "reject" {
			return true, errors.Unavailable(ReasonLimiterUnavailable,
				fmt.Sprintf("the rate limit of %s cannot be checked", op)).WithCause(lerr).WithRetryAfter(time.Second)
		}
		return false, nil
	case !ok:
		return true, refusal(http.StatusTooManyRequests, ReasonRateLimited, "rate limit of "+op+" exceeded", wait)
	case wait > 0:
		if !g.sleep(ctx, wait) {
			return false, ctx.Err()
		}
	}
	return false, nil
}

// logLimiterError logs a shared limiter's failure at most once a second.
func (g *Governor) logLimiterError(op, backend string, err error) {
	now := g.now().UnixNano()
	last := g.lastLimiterLog.Load()
	if now-last < int64(time.Second) || !g.lastLimiterLog.CompareAndSwap(last, now) {
		return
	}
	g.logger.Warn("governance: rate limiter failed; applying its on_error policy", "operation", op, "backend", backend, "error", err)
}

func (g *Governor) refuse(ctx context.Context, req any, r *rule, st *opStats, o outcome, err error) (any, error) {
	st.count(o)
	if r != nil && r.fallback != nil {
		st.count(outFallback)
		return r.fallback(ctx, req, err)
	}
	return nil, err
}

// refusal is the error of a refused call, asking the client to wait
// retryAfter (when > 0). It records no stack: a refusal is no bug, and
// under overload thousands are made a second.
func refusal(code int, reason, message string, retryAfter time.Duration) *errors.Error {
	e := &errors.Error{Code: code, Reason: reason, Message: message}
	if retryAfter > 0 {
		return e.WithRetryAfter(retryAfter)
	}
	return e
}

func outcomeOf(err error) outcome {
	if errors.Reason(err) == ReasonLimiterUnavailable {
		return outLimiterError
	}
	return outRateLimited
}

// ShouldDegrade says whether err is one a fallback answers for: the call
// was refused for load (429, 503), timed out (504), or found no healthy
// instance of a dependency (selector's NO_INSTANCE and CIRCUIT_OPEN are
// 503s).
func ShouldDegrade(err error) bool {
	switch errors.Code(err) {
	case 429, 503, 504:
		return true
	}
	return false
}

// Degrade calls call and, when it fails with an error ShouldDegrade
// accepts, returns fallback's answer instead: the client side of a
// fallback, around a call to another service.
//
//	user, err := governance.Degrade(ctx, func(ctx context.Context) (*User, error) {
//		return users.Get(ctx, id)
//	}, func(ctx context.Context, err error) (*User, error) {
//		return cachedUser(id), nil // a reduced answer while users is unavailable
//	})
func Degrade[T any](ctx context.Context, call func(context.Context) (T, error), fallback func(context.Context, error) (T, error)) (T, error) {
	v, err := call(ctx)
	if err != nil && ShouldDegrade(err) {
		return fallback(ctx, err)
	}
	return v, err
}
