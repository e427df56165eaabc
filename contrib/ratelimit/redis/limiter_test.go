package redis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	cacheredis "github.com/goxkit/gox/contrib/cache/redis"
	"github.com/goxkit/gox/contrib/ratelimit/redis"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/governance"
)

const hint = "start one with: source ci/lib.sh; source ci/redis.sh; start_redis"

// testClient is a client of the Redis that REDIS_ADDR names, and a key
// prefix of the test's own.
func testClient(t testing.TB) (goredis.UniversalClient, string) {
	t.Helper()
	addr := goxtest.RequireEnv(t, "REDIS_ADDR", hint)
	c := goredis.NewUniversalClient(&goredis.UniversalOptions{Addrs: []string{addr}, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	return c, fmt.Sprintf("goxtest:%d:rl:", time.Now().UnixNano())
}

// clock is a fake clock the script reads instead of Redis's TIME.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeTimed is a limiter of r on the real Redis, timed by a fake clock.
func fakeTimed(t *testing.T, r governance.Rate) (governance.Limiter, *clock) {
	t.Helper()
	c, prefix := testClient(t)
	clk := &clock{now: time.Now()}
	lim, err := redis.New(c, redis.WithPrefix(prefix), redis.WithClock(clk.Now)).Limiter(r)
	if err != nil {
		t.Fatal(err)
	}
	return lim, clk
}

type decision struct {
	wait time.Duration
	ok   bool
}

func reserve(t *testing.T, lim governance.Limiter, key string, maxWait time.Duration) decision {
	t.Helper()
	wait, ok, err := lim.Reserve(context.Background(), key, maxWait)
	if err != nil {
		t.Fatal(err)
	}
	return decision{wait, ok}
}

func TestBurstThenSteadyPace(t *testing.T) {
	for _, tc := range []struct {
		rate       governance.Rate
		step, span time.Duration
	}{
		{governance.Rate{Limit: 10, Per: time.Second, Burst: 10}, 10 * time.Millisecond, 10 * time.Second},
		{governance.Rate{Limit: 100, Per: time.Second, Burst: 1}, time.Millisecond, 2 * time.Second},
		{governance.Rate{Limit: 3, Per: time.Second, Burst: 3}, time.Millisecond, 3 * time.Second}, // interval 333333.3µs
		{governance.Rate{Limit: 120, Per: time.Minute, Burst: 20}, 50 * time.Millisecond, 30 * time.Second},
	} {
		r := tc.rate
		t.Run(fmt.Sprintf("%d per %s burst %d", r.Limit, r.Per, r.Burst), func(t *testing.T) {
			lim, clk := fakeTimed(t, r)
			interval := r.Per / time.Duration(r.Limit)
			for i := range r.Burst {
				if d := reserve(t, lim, "k", 0); d != (decision{0, true}) {
					t.Fatalf("call %d of the burst: %+v, want admitted at once", i+1, d)
				}
			}
			if d := reserve(t, lim, "k", 0); d.ok || d.wait < interval-time.Microsecond || d.wait > interval+time.Microsecond {
				t.Fatalf("call past the burst: %+v, want refused with retry-after %v", d, interval)
			}
			admitted := 0
			for elapsed := time.Duration(0); elapsed < tc.span; elapsed += tc.step {
				clk.Advance(tc.step)
				if reserve(t, lim, "k", 0).ok {
					admitted++
				}
			}
			want := int(int64(r.Limit) * int64(tc.span) / int64(r.Per))
			if admitted < want-1 || admitted > want+1 {
				t.Fatalf("admitted %d calls in %v after the burst, want %d±1", admitted, tc.span, want)
			}
		})
	}
}

func TestReserveWithinMaxWait(t *testing.T) {
	lim, clk := fakeTimed(t, governance.Rate{Limit: 1, Per: time.Second, Burst: 1})
	s := time.Second
	for i, tc := range []struct {
		maxWait time.Duration
		want    decision
	}{
		{0, decision{0, true}},
		{2500 * time.Millisecond, decision{1 * s, true}},
		{2500 * time.Millisecond, decision{2 * s, true}},
		{2500 * time.Millisecond, decision{500 * time.Millisecond, false}}, // its turn is 3s away: retry in 0.5s
		{0, decision{3 * s, false}},
		{10 * s, decision{3 * s, true}}, // the refusals took nothing
	} {
		if d := reserve(t, lim, "k", tc.maxWait); d != tc.want {
			t.Fatalf("call %d (maxWait %v): %+v, want %+v", i+1, tc.maxWait, d, tc.want)
		}
	}
	clk.Advance(4 * s) // the reservations' turns have come
	if d := reserve(t, lim, "k", 0); d != (decision{0, true}) {
		t.Fatalf("after the reservations passed: %+v, want admitted at once", d)
	}
	if d := reserve(t, lim, "other", 0); d != (decision{0, true}) {
		t.Fatalf("another key: %+v, want admitted at once", d)
	}
}

func TestRetryAfterIsAtLeastOneMillisecond(t *testing.T) {
	lim, _ := fakeTimed(t, governance.Rate{Limit: 1, Per: time.Second, Burst: 1})
	reserve(t, lim, "k", 0)
	if d := reserve(t, lim, "k", time.Second-time.Microsecond); d != (decision{time.Millisecond, false}) {
		t.Fatalf("refused 1µs short of its turn: %+v, want a retry-after of 1ms", d)
	}
}

func TestKeysHaveThePrefixAndExpire(t *testing.T) {
	c, prefix := testClient(t)
	ctx := context.Background()
	r := governance.Rate{Limit: 10, Per: time.Second, Burst: 5}
	for _, tc := range []struct {
		name, key, stored string
		opts              []redis.Option
	}{
		{"default prefix", prefix + "k", redis.DefaultPrefix + prefix + "k", nil},
		{"WithPrefix", "k", prefix + "k", []redis.Option{redis.WithPrefix(prefix)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(func() { c.Del(ctx, tc.stored) })
			lim, err := redis.New(c, tc.opts...).Limiter(r)
			if err != nil {
				t.Fatal(err)
			}
			for range r.Burst {
				reserve(t, lim, tc.key, 0)
			}
			ttl, err := c.PTTL(ctx, tc.stored).Result()
			if err != nil {
				t.Fatal(err)
			}
			// five calls put the TAT 500ms ahead: idle that long, the key says nothing
			if ttl <= 0 || ttl > 500*time.Millisecond {
				t.Fatalf("TTL of %s is %v, want in (0, 500ms]", tc.stored, ttl)
			}
		})
	}
}

func TestServerClockTimesTheCalls(t *testing.T) {
	c, prefix := testClient(t)
	lim, err := redis.New(c, redis.WithPrefix(prefix)).Limiter(governance.Rate{Limit: 1, Per: time.Hour, Burst: 5})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if d := reserve(t, lim, "k", 0); d != (decision{0, true}) {
			t.Fatalf("within the burst: %+v", d)
		}
	}
	d := reserve(t, lim, "k", 0)
	if d.ok || d.wait > time.Hour || d.wait < time.Hour-time.Minute {
		t.Fatalf("past the burst: %+v, want refused for about an hour", d)
	}
	d = reserve(t, lim, "k", 2*time.Hour)
	if !d.ok || d.wait > time.Hour || d.wait < time.Hour-time.Minute {
		t.Fatalf("with maxWait 2h: %+v, want admitted after about an hour", d)
	}
}

func TestLimiterValidatesTheRate(t *testing.T) {
	c := goredis.NewClient(&goredis.Options{}) // never dialled
	t.Cleanup(func() { _ = c.Close() })
	l := redis.New(c)
	for _, tc := range []struct {
		rate  governance.Rate
		field string
	}{
		{governance.Rate{Per: time.Second, Burst: 1}, "limit"},
		{governance.Rate{Limit: 1, Burst: 1}, "per"},
		{governance.Rate{Limit: 1, Per: time.Second}, "burst"},
		{governance.Rate{Limit: 2_000_000, Per: time.Second, Burst: 1}, "limit"},
	} {
		if _, err := l.Limiter(tc.rate); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("Limiter(%+v) = %v, want an error naming %s", tc.rate, err, tc.field)
		}
	}
}

// silentServer accepts connections and never answers: a Redis that hangs.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

func TestReserveReturnsWhenTheContextEnds(t *testing.T) {
	// the user's own client, without ContextTimeoutEnabled: it would read for 10s
	c := goredis.NewClient(&goredis.Options{Addr: silentServer(t), ReadTimeout: 10 * time.Second, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	lim, err := redis.New(c).Limiter(governance.Rate{Limit: 10, Per: time.Second, Burst: 1})
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	deadline, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"cancelled before", cancelled, context.Canceled},
		{"deadline while Redis hangs", deadline, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, ok, err := lim.Reserve(tc.ctx, "k", time.Second)
			took := time.Since(start)
			if !errors.Is(err, tc.want) || ok || !strings.Contains(err.Error(), "redis") {
				t.Fatalf("Reserve = %v, %v; want an error naming redis wrapping %v", ok, err, tc.want)
			}
			if took > time.Second {
				t.Fatalf("Reserve returned %v after the context ended", took)
			}
		})
	}
}

func TestServerDownIsAnError(t *testing.T) {
	bin := goxtest.RequireBinary(t, "redis-server", "apt-get install redis-server")
	port := goxtest.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	stop := goxtest.StartServer(t, exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", t.TempDir()), 10*time.Second, func() bool { return goxtest.TCPOpen(addr) })
	cfg := cacheredis.DefaultConfig()
	cfg.Addrs = []string{addr}
	limits, err := redis.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = limits.Close() })
	lim, err := limits.Limiter(governance.Rate{Limit: 10, Per: time.Second, Burst: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := lim.Reserve(context.Background(), "k", 0); !ok || err != nil {
		t.Fatalf("with Redis up: %v, %v", ok, err)
	}
	stop()
	for _, within := range []time.Duration{200 * time.Millisecond, 3 * time.Second} {
		ctx, cancel := context.WithTimeout(context.Background(), within)
		start := time.Now()
		_, ok, err := lim.Reserve(ctx, "k", 0)
		took := time.Since(start)
		cancel()
		if err == nil || ok || !strings.Contains(err.Error(), "redis") {
			t.Fatalf("with Redis down: %v, %v; want an error naming redis", ok, err)
		}
		if took > within+250*time.Millisecond {
			t.Fatalf("with Redis down Reserve took %v, past its %v deadline", took, within)
		}
		t.Logf("with Redis down, deadline %v: %v after %v", within, err, took)
	}
}
