package governance

import (
	"context"
	stderrors "errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/internal/shed"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// fake is the governor's clock, CPU reading and sleep, under the test's
// control: a waiting call advances the clock instead of sleeping.
type fake struct {
	mu  sync.Mutex
	t   time.Time
	cpu atomic.Value // float64
}

func newFake() *fake {
	f := &fake{t: time.Now()}
	f.cpu.Store(0.1)
	return f
}

func (f *fake) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fake) advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

func (f *fake) sleep(ctx context.Context, d time.Duration) bool {
	f.advance(d)
	return ctx.Err() == nil
}

func (f *fake) usage() float64 { return f.cpu.Load().(float64) }

func newGov(t *testing.T, f *fake, c Config, opts ...Option) *Governor {
	t.Helper()
	g, err := New(c, append([]Option{withClock(f.now, f.usage, f.sleep)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	return g
}

// call runs one call of op through g's middleware into h (an "ok" reply by
// default); edit may change the transport first.
func call(g *Governor, kind transport.Kind, op string, h middleware.Handler, edit ...func(*goxtest.Transport)) (any, error) {
	tr := goxtest.NewTransport(kind, op)
	for _, e := range edit {
		e(tr)
	}
	if h == nil {
		h = func(context.Context, any) (any, error) { return "ok", nil }
	}
	return g.Middleware()(h)(goxtest.ServerContext(context.Background(), tr), nil)
}

func exact(op string) Rule { return Rule{Exact: []string{op}} }

func withRate(r Rule, l RateLimit) Rule { r.RateLimit = &l; return r }

func TestTokenBucketAdmitsBurstThenPace(t *testing.T) {
	f := newFake()
	c := DefaultConfig()
	c.Rules = []Rule{withRate(exact("GET /x"), RateLimit{Rate: Rate{Limit: 10, Per: time.Second, Burst: 5}})}
	g := newGov(t, f, c)
	for i := range 5 {
		if _, err := call(g, transport.KindHTTP, "GET /x", nil); err != nil {
			t.Fatalf("call %d of the burst: %v", i, err)
		}
	}
	_, err := call(g, transport.KindHTTP, "GET /x", nil)
	if errors.Code(err) != 429 || errors.Reason(err) != ReasonRateLimited {
		t.Fatalf("6th call at once: %v; want 429 %s", err, ReasonRateLimited)
	}
	if d, ok := errors.RetryAfter(err); !ok || d <= 0 || d > 100*time.Millisecond {
		t.Fatalf("Retry-After %v %v; want (0, 100ms] at 10/s", d, ok)
	}
	// an operation no rule selects is not limited
	for range 100 {
		if _, err := call(g, transport.KindHTTP, "GET /y", nil); err != nil {
			t.Fatal(err)
		}
	}
	// one more call every 100 ms over a simulated minute, and not more
	admitted := 0
	for range 600 {
		f.advance(100 * time.Millisecond)
		for range 3 {
			if _, err := call(g, transport.KindHTTP, "GET /x", nil); err == nil {
				admitted++
			}
		}
	}
	if admitted != 600 {
		t.Fatalf("admitted %d calls in 60s at 10/s, want 600", admitted)
	}
	st := g.State()
	var x OperationState
	for _, o := range st.Operations {
		if o.Operation == "GET /x" {
			x = o
		}
	}
	if x.Counts["admitted"] != 605 || x.Counts["rate_limited"] != 1201 || x.Rule != 0 {
		t.Fatalf("state of GET /x: %+v", x)
	}
}

func TestWaitQueuesInsteadOfRefusing(t *testing.T) {
	f := newFake()
	c := DefaultConfig()
	c.Rules = []Rule{withRate(exact("/svc/M"), RateLimit{Rate: Rate{Limit: 10, Burst: 1}, Wait: 250 * time.Millisecond})}
	g := newGov(t, f, c)
	start := f.now()
	var got []time.Duration
	for range 4 {
		if _, err := call(g, transport.KindGRPC, "/svc/M", nil); err != nil {
			t.Fatalf("after %v: %v", f.now().Sub(start), err)
		}
		got = append(got, f.now().Sub(start))
	}
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("calls went at %v, want %v", got, want)
	}
	// three calls at one instant: the one that would wait 300ms is refused
	f.advance(time.Second)
	var errs []error
	for range 4 {
		tr := goxtest.NewTransport(transport.KindGRPC, "/svc/M")
		_, err := g.serveNoWait(tr)
		errs = append(errs, err)
	}
	if errs[0] != nil || errs[1] != nil || errs[2] != nil || errors.Code(errs[3]) != 429 {
		t.Fatalf("four calls at once with wait 250ms at 10/s: %v", errs)
	}
}

// serveNoWait reserves like a call but without sleeping, so that calls at
// one instant queue behind each other.
func (g *Governor) serveNoWait(tr *goxtest.Transport) (time.Duration, error) {
	p := g.policy.Load()
	r := p.ruleFor(tr.Operation())
	wait, ok, _ := r.limiter.Reserve(context.Background(), tr.Operation(), r.limit.Wait)
	if !ok {
		return wait, errors.TooManyRequests(ReasonRateLimited, "")
	}
	return wait, nil
}

func TestKeyedLimits(t *testing.T) {
	f := newFake()
	c := DefaultConfig()
	c.TrustedProxies = []string{"10.0.0.0/8"}
	c.Rules = []Rule{
		withRate(exact("GET /h"), RateLimit{Rate: Rate{Limit: 1, Burst: 1}, Key: "header:X-Api-Key"}),
		withRate(exact("GET /ip"), RateLimit{Rate: Rate{Limit: 1, Burst: 1}, Key: "ip"}),
		withRate(exact("GET /s"), RateLimit{Rate: Rate{Limit: 1, Burst: 1}, Key: "subject"}),
	}
	g := newGov(t, f, c, WithSubject(func(ctx context.Context) string { s, _ := ctx.Value(subjectKey{}).(string); return s }))
	header := func(k string) func(*goxtest.Transport) {
		return func(tr *goxtest.Transport) {
			if k != "" {
				tr.Request.Set("X-Api-Key", k)
			}
		}
	}
	for _, k := range []string{"a", "b", "", "c"} {
		if _, err := call(g, transport.KindHTTP, "GET /h", nil, header(k)); err != nil {
			t.Fatalf("first call with key %q: %v", k, err)
		}
	}
	for _, k := range []string{"a", ""} {
		if _, err := call(g, transport.KindHTTP, "GET /h", nil, header(k)); errors.Code(err) != 429 {
			t.Fatalf("second call with key %q: %v", k, err)
		}
	}
	from := func(peer string, xff ...string) func(*goxtest.Transport) {
		return func(tr *goxtest.Transport) {
			tr.TRemoteAddr = peer
			for _, v := range xff {
				tr.Request.Add("X-Forwarded-For", v)
			}
		}
	}
	if _, err := call(g, transport.KindHTTP, "GET /ip", nil, from("10.1.1.1:5000", "203.0.113.7")); err != nil {
		t.Fatal(err)
	}
	// the same client behind another proxy hop shares its limit ...
	if _, err := call(g, transport.KindHTTP, "GET /ip", nil, from("10.2.2.2:6000", "203.0.113.7, 10.3.3.3")); errors.Code(err) != 429 {
		t.Fatalf("same client through two proxies: %v", err)
	}
	// ... and cannot escape it by sending its own X-Forwarded-For
	if _, err := call(g, transport.KindHTTP, "GET /ip", nil, from("10.1.1.1:5000", "1.2.3.4, 203.0.113.7")); errors.Code(err) != 429 {
		t.Fatalf("a forged first hop escaped the limit: %v", err)
	}
	// an untrusted peer's X-Forwarded-For is ignored
	if _, err := call(g, transport.KindHTTP, "GET /ip", nil, from("198.51.100.1:7000", "203.0.113.8")); err != nil {
		t.Fatal(err)
	}
	if _, err := call(g, transport.KindHTTP, "GET /ip", nil, from("198.51.100.1:7001", "203.0.113.9")); errors.Code(err) != 429 {
		t.Fatalf("an untrusted peer chose its key with X-Forwarded-For: %v", err)
	}
	subj := func(s string) context.Context { return context.WithValue(context.Background(), subjectKey{}, s) }
	h := g.Middleware()(func(context.Context, any) (any, error) { return nil, nil })
	for i, c := range []struct {
		who  string
		want int
	}{{"ann", 0}, {"bob", 0}, {"ann", 429}} {
		_, err := h(goxtest.ServerContext(subj(c.who), goxtest.NewTransport(transport.KindHTTP, "GET /s")), nil)
		if errors.Code(err) != c.want && !(c.want == 0 && err == nil) {
			t.Fatalf("call %d by %s: %v", i, c.who, err)
		}
	}
}

type subjectKey struct{}

func TestClientIP(t *testing.T) {
	proxies, _ := parsePrefixes([]string{"10.0.0.0/8", "::1"})
	for _, c := range []struct {
		peer string
		xff  []string
		want string
	}{
		{"203.0.113.1:1", nil, "203.0.113.1"},
		{"203.0.113.1:1", []string{"1.1.1.1"}, "203.0.113.1"},
		{"10.0.0.1:1", nil, "10.0.0.1"},
		{"10.0.0.1:1", []string{"1.1.1.1"}, "1.1.1.1"},
		{"10.0.0.1:1", []string{"9.9.9.9, 1.1.1.1, 10.0.0.2"}, "1.1.1.1"},
		{"10.0.0.1:1", []string{"9.9.9.9", "1.1.1.1"}, "1.1.1.1"},
		{"10.0.0.1:1", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"10.0.0.1:1", []string{"garbage, 1.1.1.1"}, "1.1.1.1"},
		{"10.0.0.1:1", []string{"1.1.1.1, garbage"}, "10.0.0.1"},
		{"[::1]:80", []string{"2001:db8::1"}, "2001:db8::1"},
		{"[::ffff:10.0.0.1]:80", []string{"1.1.1.1"}, "1.1.1.1"},
		{"not an address", nil, "not an address"},
	} {
		tr := goxtest.NewTransport(transport.KindHTTP, "GET /")
		tr.TRemoteAddr = c.peer
		for _, v := range c.xff {
			tr.Request.Add("X-Forwarded-For", v)
		}
		if got := clientIP(tr, proxies); got != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %q, want %q", c.peer, c.xff, got, c.want)
		}
	}
}

// block is a handler that holds its calls until release is closed.
type block struct {
	entered chan struct{}
	release chan struct{}
}

func newBlock() *block {
	return &block{entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (b *block) handle(context.Context, any) (any, error) {
	b.entered <- struct{}{}
	<-b.release
	return "ok", nil
}

func TestBulkhead(t *testing.T) {
	f := newFake()
	c := DefaultConfig()
	r := exact("GET /slow")
	r.MaxInFlight = 2
	q := exact("orders")
	q.MaxInFlight = 1
	c.Rules = []Rule{r, q}
	g := newGov(t, f, c)
	b := newBlock()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { _, _ = call(g, transport.KindHTTP, "GET /slow", b.handle) })
		<-b.entered
	}
	_, err := call(g, transport.KindHTTP, "GET /slow", nil)
	if errors.Code(err) != 503 || errors.Reason(err) != ReasonConcurrencyLimited {
		t.Fatalf("third call with two in flight: %v", err)
	}
	if d, ok := errors.RetryAfter(err); !ok || d < time.Second {
		t.Fatalf("Retry-After %v %v", d, ok)
	}
	// another operation is not held by this one's bulkhead
	if _, err := call(g, transport.KindHTTP, "GET /other", nil); err != nil {
		t.Fatal(err)
	}
	// a queue consumer waits for its turn instead
	qb := newBlock()
	wg.Go(func() { _, _ = call(g, transport.KindQueue, "orders", qb.handle) })
	<-qb.entered
	second := make(chan error, 1)
	go func() { _, err := call(g, transport.KindQueue, "orders", nil); second <- err }()
	select {
	case err := <-second:
		t.Fatalf("second message ran beside the first: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(qb.release)
	if err := <-second; err != nil {
		t.Fatalf("second message after the first: %v", err)
	}
	close(b.release)
	wg.Wait()
	if _, err := call(g, transport.KindHTTP, "GET /slow", nil); err != nil {
		t.Fatalf("after the calls finished: %v", err)
	}
}

// overloaded builds a measured window on g's shedder: calls of 10 ms each,
// 20 at a time, over the whole window.
func overloaded(g *Governor, f *fake) {
	p := g.policy.Load()
	for range 60 {
		var toks []shedToken
		for range 20 {
			tok, _ := p.shed.Allow(0)
			toks = append(toks, tok)
		}
		f.advance(100 * time.Millisecond)
		for _, tok := range toks {
			p.shed.Done(tok)
		}
	}
}

func TestShedderRefusesBeyondTheLimitAtHighCPU(t *testing.T) {
	f := newFake()
	c := DefaultConfig()
	low, crit := exact("GET /report"), exact("GET /pay")
	low.Priority, crit.Priority = PriorityLow, PriorityCritical
	c.Rules = []Rule{low, crit}
	g := newGov(t, f, c)
	overloaded(g, f)
	limit := g.State().Shedding.Limit
	if limit <= 0 {
		t.Fatalf("no limit measured: %+v", g.State().Shedding)
	}
	// at low CPU, far more than the limit is admitted
	b := newBlock()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(b.release)
	for range limit + 5 {
		wg.Go(func() { _, _ = call(g, transport.KindHTTP, "GET /work", b.handle) })
		<-b.entered
	}
	f.cpu.Store(0.95)
	_, err := call(g, transport.KindHTTP, "GET /work", nil)
	if errors.Code(err) != 503 || errors.Reason(err) != ReasonOverloaded {
		t.Fatalf("at 95%% CPU with %d in flight over a limit of %d: %v", limit+5, limit, err)
	}
	if d, ok := errors.RetryAfter(err); !ok || d < time.Second {
		t.Fatalf("Retry-After %v %v", d, ok)
	}
	if _, err := call(g, transport.KindHTTP, "GET /report", nil); errors.Reason(err) != ReasonOverloaded {
		t.Fatalf("low priority: %v", err)
	}
	for _, op := range []string{"GET /pay", "/grpc.health.v1.Health/Check"} {
		if _, err := call(g, transport.KindHTTP, op, nil); err != nil {
			t.Fatalf("%s was shed: %v", op, err)
		}
	}
	// queue consumers are not shed
	if _, err := call(g, transport.KindQueue, "orders", nil); err != nil {
		t.Fatalf("a consumer was shed: %v", err)
	}
	if !g.State().Shedding.Shedding {
		t.Fatal("state does not say it is shedding")
	}
	// CPU falls: within the cool-off the in-flight test still holds ...
	f.cpu.Store(0.2)
	f.advance(500 * time.Millisecond)
	if _, err := call(g, transport.KindHTTP, "GET /work", nil); errors.Reason(err) != ReasonOverloaded {
		t.Fatalf("within the cool-off: %v", err)
	}
	// ... and after it, calls go in again
	f.advance(1500 * time.Millisecond)
	if _, err := call(g, transport.KindHTTP, "GET /work", nil); err != nil {
		t.Fatalf("after the cool-off at low CPU: %v", err)
	}
}

func TestShortDeadlineIsRefusedAtOnce(t *testing.T) {
	f := newFake()
	g := newGov(t, f, DefaultConfig())
	slow := func(context.Context, any) (any, error) { f.advance(100 * time.Millisecond); return "ok", nil }
	for range 20 {
		if _, err := call(g, transport.KindGRPC, "/svc/Slow", slow); err != nil {
			t.Fatal(err)
		}
	}
	ran := false
	h := g.Middleware()(func(context.Context, any) (any, error) { ran = true; return nil, nil })
	ctx, cancel := context.WithDeadline(context.Background(), f.now().Add(50*time.Millisecond))
	defer cancel()
	_, err := h(goxtest.ServerContext(ctx, goxtest.NewTransport(transport.KindGRPC, "/svc/Slow")), nil)
	if errors.Code(err) != 504 || errors.Reason(err) != ReasonDeadlineTooShort || ran {
		t.Fatalf("50ms left for a 100ms call: %v (handler ran: %v)", err, ran)
	}
	if !strings.Contains(err.Error(), "typically takes 100ms") {
		t.Fatalf("message does not say why: %v", err)
	}
	ctx2, cancel2 := context.WithDeadline(context.Background(), f.now().Add(time.Second))
	defer cancel2()
	if _, err := h(goxtest.ServerContext(ctx2, goxtest.NewTransport(transport.KindGRPC, "/svc/Slow")), nil); err != nil || !ran {
		t.Fatalf("1s left for a 100ms call: %v", err)
	}
}

func TestFallback(t *testing.T) {
	f := newFake()
	c := DefaultConfig()
	r := withRate(exact("GET /price"), RateLimit{Rate: Rate{Limit: 1, Burst: 1}})
	r.Fallback = "cached"
	c.Rules = []Rule{r}
	var causes []string
	g := newGov(t, f, c, WithFallback("cached", func(_ context.Context, _ any, cause error) (any, error) {
		causes = append(causes, errors.Reason(cause))
		return "cached price", nil
	}))
	if v, err := call(g, transport.KindHTTP, "GET /price", nil); v != "ok" || err != nil {
		t.Fatalf("first call: %v %v", v, err)
	}
	if v, err := call(g, transport.KindHTTP, "GET /price", nil); v != "cached price" || err != nil {
		t.Fatalf("rate-limited call: %v %v; want the fallback's answer", v, err)
	}
	f.advance(time.Second)
	breakerOpen := func(context.Context, any) (any, error) {
		return nil, errors.Unavailable("CIRCUIT_OPEN", "every instance of prices is failing")
	}
	if v, err := call(g, transport.KindHTTP, "GET /price", breakerOpen); v != "cached price" || err != nil {
		t.Fatalf("dependency down: %v %v", v, err)
	}
	f.advance(time.Second)
	notFound := func(context.Context, any) (any, error) { return nil, errors.NotFound("NO_SUCH_ITEM", "no such item") }
	if _, err := call(g, transport.KindHTTP, "GET /price", notFound); errors.Code(err) != 404 {
		t.Fatalf("a 404 was degraded: %v", err)
	}
	if fmt.Sprint(causes) != "[RATE_LIMITED CIRCUIT_OPEN]" {
		t.Fatalf("fallback causes %v", causes)
	}
}

func TestDegrade(t *testing.T) {
	ctx := context.Background()
	v, err := Degrade(ctx, func(context.Context) (int, error) { return 0, errors.Timeout("", "slow") },
		func(context.Context, error) (int, error) { return 7, nil })
	if v != 7 || err != nil {
		t.Fatalf("%v %v", v, err)
	}
	v, err = Degrade(ctx, func(context.Context) (int, error) { return 0, errors.BadRequest("", "bad") },
		func(context.Context, error) (int, error) { return 7, nil })
	if v != 0 || errors.Code(err) != 400 {
		t.Fatalf("a 400 was degraded: %v %v", v, err)
	}
}

type failing struct{ calls atomic.Int64 }

func (l *failing) Reserve(context.Context, string, time.Duration) (time.Duration, bool, error) {
	l.calls.Add(1)
	return 0, false, stderrors.New("dial tcp 127.0.0.1:6379: connection refused")
}

func TestSharedLimiterFailure(t *testing.T) {
	f := newFake()
	down := &failing{}
	factories := map[string]LimiterFactory{"redis": func(Rate) (Limiter, error) { return down, nil }}
	c := DefaultConfig()
	c.Rules = []Rule{
		withRate(exact("GET /open"), RateLimit{Rate: Rate{Limit: 1}, Backend: "redis"}),
		withRate(exact("GET /closed"), RateLimit{Rate: Rate{Limit: 1}, Backend: "redis", OnError: "reject"}),
	}
	var logs strings.Builder
	g := newGov(t, f, c, WithLimiters(factories), WithLogger(slogTo(&logs)))
	for range 3 {
		if _, err := call(g, transport.KindHTTP, "GET /open", nil); err != nil {
			t.Fatalf("fail-open: %v", err)
		}
	}
	_, err := call(g, transport.KindHTTP, "GET /closed", nil)
	if errors.Code(err) != 503 || errors.Reason(err) != ReasonLimiterUnavailable {
		t.Fatalf("fail-closed: %v", err)
	}
	if n := strings.Count(logs.String(), "rate limiter failed"); n != 1 {
		t.Fatalf("%d log lines for 4 failures within a second, want 1:\n%s", n, logs.String())
	}
	var open OperationState
	for _, o := range g.State().Operations {
		if o.Operation == "GET /open" {
			open = o
		}
	}
	if open.Counts["limiter_error"] != 3 || open.Counts["admitted"] != 3 {
		t.Fatalf("counts %v", open.Counts)
	}
}

func TestReload(t *testing.T) {
	f := newFake()
	c := DefaultConfig()
	c.Rules = []Rule{withRate(exact("GET /x"), RateLimit{Rate: Rate{Limit: 2, Burst: 2}})}
	g := newGov(t, f, c)
	for range 2 {
		if _, err := call(g, transport.KindHTTP, "GET /x", nil); err != nil {
			t.Fatal(err)
		}
	}
	bad := c
	bad.Rules = []Rule{withRate(exact("GET /x"), RateLimit{Rate: Rate{Limit: -1}})}
	err := g.Reload(bad)
	if err == nil || !strings.Contains(err.Error(), "rules[0].rate_limit.limit") {
		t.Fatalf("invalid reload: %v", err)
	}
	if _, err := call(g, transport.KindHTTP, "GET /x", nil); errors.Code(err) != 429 {
		t.Fatalf("after a refused reload the old policy should hold: %v", err)
	}
	// the same rule again, and another: the unchanged limit keeps its count
	same := c
	same.Rules = append([]Rule{withRate(exact("GET /y"), RateLimit{Rate: Rate{Limit: 1}})}, c.Rules...)
	if err := g.Reload(same); err != nil {
		t.Fatal(err)
	}
	if _, err := call(g, transport.KindHTTP, "GET /x", nil); errors.Code(err) != 429 {
		t.Fatalf("an unchanged rule's limit was reset by a reload: %v", err)
	}
	more := c
	more.Rules = []Rule{withRate(exact("GET /x"), RateLimit{Rate: Rate{Limit: 100, Burst: 100}})}
	if err := g.Reload(more); err != nil {
		t.Fatal(err)
	}
	if _, err := call(g, transport.KindHTTP, "GET /x", nil); err != nil {
		t.Fatalf("a raised limit was not applied: %v", err)
	}
}

func TestInvalidPolicyNamesTheKey(t *testing.T) {
	f := newFake()
	for _, c := range []struct {
		edit func(*Config)
		opts []Option
		want string
	}{
		{func(c *Config) { c.Rules = []Rule{{}} }, nil, "rules[0].exact, prefix or regex"},
		{func(c *Config) { c.Rules = []Rule{{Regex: "("}} }, nil, "rules[0].regex"},
		{func(c *Config) { c.Rules = []Rule{{Prefix: []string{""}}} }, nil, "rules[0].prefix[0] is empty"},
		{func(c *Config) { c.Rules = []Rule{withRate(exact("a"), RateLimit{})} }, nil, "rules[0].rate_limit.limit must be positive, got 0"},
		{func(c *Config) { c.Rules = []Rule{withRate(exact("a"), RateLimit{Rate: Rate{Limit: -5}})} }, nil, "rules[0].rate_limit.limit must be positive, got -5"},
		{func(c *Config) { c.Rules = []Rule{withRate(exact("a"), RateLimit{Rate: Rate{Limit: 1, Burst: -1}})} }, nil, "rules[0].rate_limit.burst must be at least 1"},
		{func(c *Config) {
			c.Rules = []Rule{withRate(exact("a"), RateLimit{Rate: Rate{Limit: 1, Per: -time.Second}})}
		}, nil, "rules[0].rate_limit.per"},
		{func(c *Config) {
			c.Rules = []Rule{withRate(exact("a"), RateLimit{Rate: Rate{Limit: 1}, Key: "cookie"})}
		}, nil, `rules[0].rate_limit.key "cookie"`},
		{func(c *Config) {
			c.Rules = []Rule{withRate(exact("a"), RateLimit{Rate: Rate{Limit: 1}, Key: "header:"})}
		}, nil, `rules[0].rate_limit.key "header:"`},
		{func(c *Config) {
			c.Rules = []Rule{withRate(exact("a"), RateLimit{Rate: Rate{Limit: 1}, Algorithm: "leaky"})}
		}, nil, `rules[0].rate_limit.algorithm "leaky"`},
		{func(c *Config) {
			c.Rules = []Rule{withRate(exact("a"), RateLimit{Rate: Rate{Limit: 1}, Backend: "redis"})}
		}, nil, `rules[0].rate_limit.backend "redis" is not one of local`},
		{func(c *Config) {
			c.Rules = []Rule{withRate(exact("a"), RateLimit{Rate: Rate{Limit: 1}, OnError: "maybe"})}
		}, nil, `rules[0].rate_limit.on_error "maybe"`},
		{func(c *Config) {
			c.Rules = []Rule{withRate(exact("a"), RateLimit{Rate: Rate{Limit: 1}, Key: "subject"})}
		}, nil, "rules[0].rate_limit.key subject needs governance.WithSubject"},
		{func(c *Config) { c.Rules = []Rule{{Exact: []string{"a"}, Fallback: "cache"}} }, nil, `rules[0].fallback "cache" is not registered`},
		{func(c *Config) { c.Rules = []Rule{{Exact: []string{"a"}, Priority: "urgent"}} }, nil, `rules[0].priority "urgent"`},
		{func(c *Config) { c.Rules = []Rule{{Exact: []string{"a"}, MaxInFlight: -1}} }, nil, "rules[0].max_in_flight"},
		{func(c *Config) { c.Shedding.CPUThreshold = 1.5 }, nil, "shedding.cpu_threshold must be in (0, 1]"},
		{func(c *Config) { c.Shedding.Buckets = 1 }, nil, "shedding.buckets"},
		{func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/33"} }, nil, `trusted_proxies[0] "10.0.0.0/33"`},
	} {
		cfg := DefaultConfig()
		c.edit(&cfg)
		_, err := New(cfg, append([]Option{withClock(f.now, f.usage, f.sleep)}, c.opts...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error containing %q, got %v", c.want, err)
		}
	}
}

// A flood of distinct keys and operation names leaves the governor's
// memory bounded: keys by the rule's max_keys, operations by maxOps.
func TestFloodOfDistinctKeysIsBounded(t *testing.T) {
	f := newFake()
	c := DefaultConfig()
	c.Rules = []Rule{withRate(Rule{Prefix: []string{"GET /"}}, RateLimit{Rate: Rate{Limit: 1000}, Key: "header:X-Key", MaxKeys: 500})}
	g := newGov(t, f, c)
	for i := range 20000 {
		op := fmt.Sprintf("GET /%d", i)
		if _, err := call(g, transport.KindHTTP, op, nil, func(tr *goxtest.Transport) { tr.Request.Set("X-Key", op) }); err != nil {
			t.Fatal(err)
		}
	}
	st := g.State()
	if st.Rules[0].Keys > 500 {
		t.Fatalf("%d keys remembered, the bound is 500", st.Rules[0].Keys)
	}
	if n := len(st.Operations); n > maxOps+1 {
		t.Fatalf("%d operations remembered, the bound is %d", n, maxOps)
	}
	var other uint64
	for _, o := range st.Operations {
		if o.Operation == "(other)" {
			other = o.Counts["admitted"]
		}
	}
	if other != 20000-maxOps {
		t.Fatalf("(other) counted %d calls, want %d", other, 20000-maxOps)
	}
}

func TestClientCallsPassThrough(t *testing.T) {
	f := newFake()
	c := DefaultConfig()
	c.Rules = []Rule{withRate(exact("GET /x"), RateLimit{Rate: Rate{Limit: 1, Burst: 1}})}
	g := newGov(t, f, c)
	h := g.Middleware()(func(context.Context, any) (any, error) { return "ok", nil })
	for range 5 {
		ctx := transport.NewClientContext(context.Background(), goxtest.NewTransport(transport.KindHTTP, "GET /x"))
		if _, err := h(ctx, nil); err != nil {
			t.Fatalf("a client call was governed: %v", err)
		}
	}
}

type shedToken = shed.Token

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// streamTransport is a gRPC streaming call's transport.
type streamTransport struct{ *goxtest.Transport }

func (streamTransport) Streaming() bool { return true }

// A stream is admitted or refused as it opens, and then neither holds a
// place in the shedder's in-flight count for its whole life nor teaches
// the operation's typical latency its length.
func TestStreamsAreAdmittedAsTheyOpen(t *testing.T) {
	f := newFake()
	g := newGov(t, f, DefaultConfig())
	overloaded(g, f)
	limit := g.State().Shedding.Limit
	f.cpu.Store(0.95)
	b := newBlock()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(b.release)
	open := func() error {
		tr := streamTransport{goxtest.NewTransport(transport.KindGRPC, "/chat.v1.Chat/Talk")}
		_, err := g.Middleware()(b.handle)(transport.NewServerContext(context.Background(), tr), nil)
		return err
	}
	for i := range limit + 5 {
		errs := make(chan error, 1)
		wg.Go(func() { errs <- open() })
		select {
		case <-b.entered:
		case err := <-errs:
			t.Fatalf("stream %d of %d at high CPU refused: %v", i+1, limit+5, err)
		}
	}
	if n := g.State().Shedding.InFlight; n != 0 {
		t.Fatalf("%d open streams count in flight; want none", n)
	}
	if _, err := call(g, transport.KindGRPC, "/chat.v1.Chat/Get", nil); err != nil {
		t.Fatalf("a unary call beside open streams: %v", err)
	}
}

// The typical latency is what calls take when the service keeps up: a
// backlog's slow seconds do not raise it while a fast one is in view, and
// when every call is refused it ages out instead of refusing for ever.
func TestShortDeadlineRefusalDoesNotLatch(t *testing.T) {
	f := newFake()
	g := newGov(t, f, DefaultConfig())
	took := 10 * time.Millisecond
	h := func(context.Context, any) (any, error) { f.advance(took); return "ok", nil }
	callWithin := func(left time.Duration) error {
		ctx, cancel := context.WithDeadline(context.Background(), f.now().Add(left))
		defer cancel()
		_, err := g.Middleware()(h)(goxtest.ServerContext(ctx, goxtest.NewTransport(transport.KindHTTP, "GET /work")), nil)
		return err
	}
	for range 200 { // two seconds of 10 ms calls
		if err := callWithin(time.Second); err != nil {
			t.Fatal(err)
		}
	}
	took = 200 * time.Millisecond // a backlog: calls now take 200 ms
	for range 10 {
		_ = callWithin(time.Hour)
	}
	if err := callWithin(150 * time.Millisecond); err != nil {
		t.Fatalf("150ms left for a call that typically takes 10ms, after slow seconds: %v", err)
	}
	// calls with 150 ms left are all refused while only slow seconds are in view ...
	f.advance(8 * time.Second)
	for range 50 {
		_ = callWithin(time.Hour)
	}
	if err := callWithin(150 * time.Millisecond); errors.Reason(err) != ReasonDeadlineTooShort {
		t.Fatalf("150ms left for a call that typically takes 200ms: %v", err)
	}
	// ... until, nothing admitted, the slow seconds age out
	took = 10 * time.Millisecond
	refused := 0
	for range 1000 {
		if err := callWithin(150 * time.Millisecond); err == nil {
			break
		}
		refused++
		f.advance(100 * time.Millisecond)
	}
	if refused == 0 || refused > 90 {
		t.Fatalf("refused %d calls (one every 100ms) before admitting again; want some, and none after 8s", refused)
	}
}

// Requests waiting for a CPU before any middleware runs (the runtime's
// scheduling delay) cut the share of calls admitted: the refusals are 503
// OVERLOADED, and critical calls still go.
func TestQueueDelayShedsAShare(t *testing.T) {
	f := newFake()
	var wait atomic.Int64
	g := newGov(t, f, DefaultConfig(), withQueue(func() time.Duration { return time.Duration(wait.Load()) }))
	wait.Store(int64(800 * time.Millisecond))
	refused := 0
	for range 2000 {
		f.advance(5 * time.Millisecond)
		if _, err := call(g, transport.KindHTTP, "GET /work", nil); errors.Reason(err) == ReasonOverloaded {
			refused++
		}
		if _, err := call(g, transport.KindGRPC, "/grpc.health.v1.Health/Check", nil); err != nil {
			t.Fatalf("a health check was refused: %v", err)
		}
	}
	if refused < 1000 {
		t.Fatalf("%d of 2000 calls refused over 10s of an 800ms queue; want most", refused)
	}
	if st := g.State().Shedding; st.QueueDelay != 800*time.Millisecond || st.Admitted >= 0.5 || !st.Shedding {
		t.Fatalf("state %+v", st)
	}
}
