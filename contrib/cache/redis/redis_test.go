package redis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/goxkit/gox/cache"
	"github.com/goxkit/gox/cache/cachetest"
	"github.com/goxkit/gox/contrib/cache/redis"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/lock"
	"github.com/goxkit/gox/lock/locktest"
)

const hint = "start one with: source ci/lib.sh; source ci/redis.sh; start_redis"

func config(t testing.TB) redis.Config {
	c := redis.DefaultConfig()
	c.Addrs = []string{goxtest.RequireEnv(t, "REDIS_ADDR", hint)}
	c.Prefix = fmt.Sprintf("goxtest:%d:", time.Now().UnixNano())
	return c
}

func client(t testing.TB, c redis.Config, opts ...redis.Option) goredis.UniversalClient {
	cl, err := redis.NewClient(c, opts...)
	return goxtest.Opened(t, cl, err)
}

func TestStoreContract(t *testing.T) {
	c := config(t)
	cl := client(t, c)
	cachetest.Run(t, func(t *testing.T, ns string) cache.Store {
		s, err := redis.NewStore(cl, c.Prefix+ns+":")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Flush(context.Background()) })
		return s
	})
}

func TestFlushLeavesUnprefixedKeys(t *testing.T) {
	c := config(t)
	cl := client(t, c)
	ctx := context.Background()
	other := c.Prefix[:len(c.Prefix)-1] + "-other"
	if err := cl.Set(ctx, other, "keep", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	defer cl.Del(ctx, other)
	s, _ := redis.NewStore(cl, c.Prefix)
	_ = s.Save(ctx, "k", []byte("v"), time.Minute)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := cl.Get(ctx, other).Result(); err != nil || v != "keep" {
		t.Fatalf("Flush of %s* removed %s: %q %v", c.Prefix, other, v, err)
	}
}

func TestLockerContract(t *testing.T) {
	c := config(t)
	c.Lock.RetryMin, c.Lock.RetryMax = time.Millisecond, 20*time.Millisecond
	locktest.Run(t, func(t *testing.T) lock.Locker { // a client each, as separate processes
		l, err := redis.NewLocker(client(t, c), c.Prefix, c.Lock)
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}

func TestLockIsRenewedWhileHeld(t *testing.T) {
	c := config(t)
	c.Lock.TTL = 300 * time.Millisecond
	a, _ := redis.NewLocker(client(t, c), c.Prefix, c.Lock)
	b, _ := redis.NewLocker(client(t, c), c.Prefix, c.Lock)
	ctx := context.Background()
	la, err := a.Obtain(ctx, "renew")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, time.Second) // over three TTLs
	defer cancel()
	if _, err := b.Obtain(short, "renew"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a held lock was taken after its TTL: %v", err)
	}
	select {
	case <-la.Lost():
		t.Fatal("the holder lost a lock it kept renewing")
	default:
	}
	if err := la.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestLockLostWhenTakenAway(t *testing.T) {
	c := config(t)
	c.Lock.TTL = 300 * time.Millisecond
	cl := client(t, c)
	l, _ := redis.NewLocker(cl, c.Prefix, c.Lock)
	ctx := context.Background()
	held, err := l.Obtain(ctx, "lost")
	if err != nil {
		t.Fatal(err)
	}
	cl.Del(ctx, c.Prefix+"lock:lost") // as if it expired while this process was frozen
	select {
	case <-held.Lost():
	case <-time.After(2 * time.Second):
		t.Fatal("Lost not closed after the lock disappeared")
	}
	if err := held.Release(ctx); !errors.Is(err, lock.ErrNotHeld) {
		t.Fatalf("Release of a lost lock: %v, want ErrNotHeld", err)
	}
}

// TestTwoProcessesNoLostUpdate runs two processes (this test binary again)
// that each add 1 to a counter in Redis 1500 times with a plain GET and SET
// under the lock. Without mutual exclusion increments would be lost.
func TestTwoProcessesNoLostUpdate(t *testing.T) {
	if os.Getenv("GOX_LOCK_WORKER") != "" {
		return
	}
	c := config(t)
	const each = 1500
	var wg sync.WaitGroup
	outs := make([]string, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestLockWorker$", "-test.count=1")
			cmd.Env = append(os.Environ(), "GOX_LOCK_WORKER=1", "GOX_LOCK_PREFIX="+c.Prefix, "GOX_LOCK_N="+strconv.Itoa(each))
			out, err := cmd.CombinedOutput()
			outs[i], errs[i] = string(out), err
		})
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	cl := client(t, c)
	defer cl.Del(context.Background(), c.Prefix+"counter")
	n, err := cl.Get(context.Background(), c.Prefix+"counter").Int()
	if err != nil || n != 2*each {
		t.Fatalf("counter %d (%v), want %d: updates were lost", n, err, 2*each)
	}
}

func TestLockWorker(t *testing.T) {
	if os.Getenv("GOX_LOCK_WORKER") == "" {
		t.Skip("run by TestTwoProcessesNoLostUpdate")
	}
	c := config(t)
	c.Prefix = os.Getenv("GOX_LOCK_PREFIX")
	c.Lock.RetryMin, c.Lock.RetryMax = time.Millisecond, 5*time.Millisecond
	cl := client(t, c)
	l, _ := redis.NewLocker(cl, c.Prefix, c.Lock)
	n, _ := strconv.Atoi(os.Getenv("GOX_LOCK_N"))
	ctx := context.Background()
	for range n {
		held, err := l.Obtain(ctx, "counter")
		if err != nil {
			t.Fatal(err)
		}
		v, err := cl.Get(ctx, c.Prefix+"counter").Int()
		if err != nil && !errors.Is(err, goredis.Nil) {
			t.Fatal(err)
		}
		if err := cl.Set(ctx, c.Prefix+"counter", v+1, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := held.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDownAtStart(t *testing.T) {
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := lis.Addr().String()
	_ = lis.Close() // nothing listens there now
	c := redis.DefaultConfig()
	c.Addrs, c.Password, c.RequireAtStart = []string{addr}, "s3cret", true
	_, err := redis.NewClient(c)
	if err == nil || !strings.Contains(err.Error(), addr) || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("NewClient with Redis down: %v; want an error naming %s and not the password", err, addr)
	}
	c.RequireAtStart = false
	cl, err := redis.NewClient(c)
	if err != nil {
		t.Fatalf("without require_at_start the client must start: %v", err)
	}
	defer cl.Close()
	s, _ := redis.NewStore(cl, "x:")
	start := time.Now()
	if _, err := s.Fetch(context.Background(), "k"); err == nil || errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("Fetch with Redis down: %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Fetch with Redis down took %v", took)
	}
	v, err := cache.New[int](s, cache.WithLoaderFallback(), cache.WithErrorHandler(func(context.Context, string, error) {})).
		GetOrLoad(context.Background(), "k", func(context.Context) (int, error) { return 7, nil })
	if err != nil || v != 7 {
		t.Fatalf("GetOrLoad with fallback and Redis down: %v %v", v, err)
	}
}

// A server that accepts connections and never answers: calls end at their
// deadline, or at the read timeout, instead of hanging.
func TestHangingServerTimesOut(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	go func() {
		for {
			conn, err := lis.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	c := redis.DefaultConfig()
	c.Addrs, c.ReadTimeout, c.MaxRetries = []string{lis.Addr().String()}, 300*time.Millisecond, -1
	cl, _ := redis.NewClient(c)
	defer cl.Close()
	s, _ := redis.NewStore(cl, "x:")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = s.Fetch(ctx, "k")
	if err == nil || time.Since(start) > time.Second {
		t.Fatalf("Fetch with a 200ms deadline: %v after %v", err, time.Since(start))
	}
	start = time.Now()
	_, err = s.Fetch(context.Background(), "k")
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("Fetch without deadline, read timeout 300ms: %v after %v", err, time.Since(start))
	}
}

func TestCommandsAreCountedAndTraced(t *testing.T) {
	c := config(t)
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	r := &goxtest.Recorder{}
	s, _ := redis.NewStore(client(t, c, redis.WithRecorder(r), redis.WithTracerProvider(tp)), c.Prefix)
	ctx := context.Background()
	_ = s.Save(ctx, "k", []byte("v"), time.Minute)
	_, _ = s.Fetch(ctx, "k")
	_, _ = s.Fetch(ctx, "absent")
	_, _ = s.FetchMulti(ctx, []string{"k", "absent"})
	_ = s.Flush(ctx)
	got := r.String()
	for _, want := range []string{"redis set 200", "redis get 200", "redis get 404", "redis pipeline 200"} {
		if !strings.Contains(got, want) {
			t.Errorf("recorded %q, missing %q", got, want)
		}
	}
	names := map[string]bool{}
	for _, sp := range sr.Ended() {
		names[sp.Name()] = true
	}
	if !names["set"] || !names["get"] || !names["pipeline"] {
		t.Errorf("spans %v", names)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		edit func(*redis.Config)
		want string
	}{
		{func(c *redis.Config) { c.Prefix = "" }, "prefix is empty"},
		{func(c *redis.Config) { c.Prefix = "a*" }, `prefix "a*" contains a glob character`},
		{func(c *redis.Config) { c.Addrs = nil }, "addrs is empty"},
		{func(c *redis.Config) { c.Addrs = []string{"localhost"} }, `address "localhost" is not host:port`},
		{func(c *redis.Config) { c.Lock.TTL = time.Millisecond }, "lock.ttl"},
	} {
		c := redis.DefaultConfig()
		tc.edit(&c)
		if _, err := redis.NewClient(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}
