package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/goxkit/gox/contrib/ratelimit/redis"
	"github.com/goxkit/gox/middleware/governance"
)

// BenchmarkReserve times one decision against the real Redis, beside an
// INCR: the bare round trip of go-redis underneath.
func BenchmarkReserve(b *testing.B) {
	c, prefix := testClient(b)
	ctx := context.Background()
	b.Cleanup(func() {
		keys, _ := c.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	limits := redis.New(c, redis.WithPrefix(prefix))
	admits, err := limits.Limiter(governance.Rate{Limit: 1_000_000, Per: time.Second, Burst: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	refuses, err := limits.Limiter(governance.Rate{Limit: 1, Per: time.Hour, Burst: 1})
	if err != nil {
		b.Fatal(err)
	}
	withDeadline, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	b.Run("go-redis INCR", func(b *testing.B) {
		for b.Loop() {
			if err := c.Incr(ctx, prefix+"incr").Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, bc := range []struct {
		name string
		ctx  context.Context
		lim  governance.Limiter
		ok   bool
	}{
		{"admitted", ctx, admits, true},
		{"admitted, ctx with deadline", withDeadline, admits, true},
		{"refused", ctx, refuses, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			_, _, _ = bc.lim.Reserve(ctx, "k", 0) // load the script, take the one call refuses has
			for b.Loop() {
				if _, ok, err := bc.lim.Reserve(bc.ctx, "k", 0); err != nil || ok != bc.ok {
					b.Fatalf("Reserve = %v, %v", ok, err)
				}
			}
		})
	}
}
