package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/goxkit/gox/cache"
	"github.com/goxkit/gox/contrib/cache/redis"
	"github.com/goxkit/gox/goxtest"
)

// BenchmarkMemoryHit reads one present key: gox's memory store and typed
// cache against a plain map behind a mutex.
func BenchmarkMemoryHit(b *testing.B) {
	ctx := context.Background()
	val := []byte(`"hello"`)
	b.Run("map+mutex", func(b *testing.B) {
		var mu sync.Mutex
		m := map[string][]byte{"k": val}
		for b.Loop() {
			mu.Lock()
			_ = m["k"]
			mu.Unlock()
		}
	})
	store, _ := cache.NewMemory(cache.DefaultMemoryConfig())
	_ = store.Save(ctx, "k", val, time.Hour)
	b.Run("gox-store", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := store.Fetch(ctx, "k"); err != nil {
				b.Fatal(err)
			}
		}
	})
	typed := cache.New[string](store)
	b.Run("gox-typed-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := typed.Fetch(ctx, "k"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRedis is GET and SET of a 64-byte value through gox's store
// (prefix, hook with tracing off and no recorder) against raw go-redis, on
// one real server (REDIS_ADDR).
func BenchmarkRedis(b *testing.B) {
	addr := goxtest.RequireEnv(b, "REDIS_ADDR", "source ci/lib.sh; source ci/redis.sh; start_redis")
	ctx := context.Background()
	raw := goredis.NewClient(&goredis.Options{Addr: addr})
	defer raw.Close()
	c := redis.DefaultConfig()
	c.Addrs, c.Prefix = []string{addr}, "bench:"
	gc, err := redis.NewClient(c)
	if err != nil {
		b.Fatal(err)
	}
	defer gc.Close()
	store, _ := redis.NewStore(gc, c.Prefix)
	val := make([]byte, 64)
	_ = raw.Set(ctx, "bench:k", val, 0).Err()
	b.Run("get/go-redis", func(b *testing.B) {
		for b.Loop() {
			if err := raw.Get(ctx, "bench:k").Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get/gox", func(b *testing.B) {
		for b.Loop() {
			if _, err := store.Fetch(ctx, "k"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("set/go-redis", func(b *testing.B) {
		for b.Loop() {
			if err := raw.Set(ctx, "bench:k", val, time.Minute).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("set/gox", func(b *testing.B) {
		for b.Loop() {
			if err := store.Save(ctx, "k", val, time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGetOrLoad1000Misses: 1,000 goroutines miss one key at once; the
// loader (1 ms, as a fast query) must run once. Reports loader calls per op
// and the time until all 1,000 have the value.
func BenchmarkGetOrLoad1000Misses(b *testing.B) {
	store, _ := cache.NewMemory(cache.DefaultMemoryConfig())
	c := cache.New[int](store)
	var calls atomic.Int64
	load := func(context.Context) (int, error) { calls.Add(1); time.Sleep(time.Millisecond); return 1, nil }
	i := 0
	for b.Loop() {
		key := fmt.Sprint("k", i)
		i++
		var wg sync.WaitGroup
		for range 1000 {
			wg.Go(func() {
				if _, err := c.GetOrLoad(context.Background(), key, load); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(calls.Load())/float64(i), "loads/op")
}
