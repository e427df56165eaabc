package redis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/goxkit/gox/cache"
	"github.com/goxkit/gox/contrib/cache/redis"
	"github.com/goxkit/gox/goxtest"
)

// startRedis runs a private redis-server on a free port and returns its
// address and a function that kills it.
func startRedis(t *testing.T, port int) (string, func()) {
	t.Helper()
	bin := goxtest.RequireBinary(t, "redis-server", "apt-get install redis-server")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	t.Cleanup(stop)
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, stop
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("redis-server did not start on %s", addr)
	return "", nil
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Redis dies while the service runs: calls fail within their timeout,
// GetOrLoad serves from the loader, and when Redis is back the cache works
// again without a restart of the client.
func TestRedisDiesMidRunAndComesBack(t *testing.T) {
	port := freePort(t)
	addr, stop := startRedis(t, port)
	c := redis.DefaultConfig()
	c.Addrs, c.Prefix = []string{addr}, "midrun:"
	cl, err := redis.NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	store, _ := redis.NewStore(cl, c.Prefix)
	users := cache.New[string](store, cache.WithLoaderFallback(), cache.WithErrorHandler(func(context.Context, string, error) {}))
	ctx := context.Background()
	load := func(context.Context) (string, error) { return "from the database", nil }
	if v, err := users.GetOrLoad(ctx, "u1", load); err != nil || v != "from the database" {
		t.Fatalf("with Redis up: %q %v", v, err)
	}

	stop()
	start := time.Now()
	if _, err := store.Fetch(ctx, "u1"); err == nil || errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("Fetch with Redis dead: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Fetch with Redis dead took %v", took)
	}
	if v, err := users.GetOrLoad(ctx, "u2", load); err != nil || v != "from the database" {
		t.Fatalf("GetOrLoad with Redis dead: %q %v, want the loader's value", v, err)
	}

	startRedis(t, port) // same address, empty
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := store.Save(ctx, "u3", []byte(`"back"`), time.Minute)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client did not recover after Redis came back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v, err := users.Fetch(ctx, "u3"); err != nil || v != "back" {
		t.Fatalf("after recovery: %q %v", v, err)
	}
}
