package ratelimit

import (
	"context"
	"math"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/goxkit/gox/internal/clock"
)

// BenchmarkKeyedReserve is the cost of one Reserve, with the real clock and a
// limit high enough that every call is admitted: on one key, on 1000 keys
// held, on 1000 keys from every P at once, and on a new key each call (a
// flood past the bound, evicting). raw is x/time/rate underneath, unkeyed.
func BenchmarkKeyedReserve(b *testing.B) {
	ctx := context.Background()
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "client-" + strconv.Itoa(i)
	}
	b.Run("raw_x_time_rate", func(b *testing.B) {
		lim := rate.NewLimiter(rate.Inf, 1)
		lim.SetLimit(1e12) // not Inf: take the arithmetic path
		lim.SetBurst(math.MaxInt32)
		b.ReportAllocs()
		for b.Loop() {
			r := lim.ReserveN(clock.Now(), 1)
			_ = r.DelayFrom(time.Time{})
		}
	})
	for _, a := range []Algorithm{TokenBucket, SlidingWindow} {
		newL := func(b *testing.B, maxKeys int) *Limiter {
			l, err := New(a, math.MaxInt32, time.Second, math.MaxInt32, maxKeys, nil)
			if err != nil {
				b.Fatal(err)
			}
			return l
		}
		b.Run(a.String()+"/one_key", func(b *testing.B) {
			l := newL(b, 0)
			b.ReportAllocs()
			for b.Loop() {
				l.Reserve(ctx, "client-1", 0)
			}
		})
		b.Run(a.String()+"/1000_keys", func(b *testing.B) {
			l := newL(b, 0)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				l.Reserve(ctx, keys[i%len(keys)], 0)
				i++
			}
		})
		b.Run(a.String()+"/1000_keys_parallel", func(b *testing.B) {
			l := newL(b, 0)
			var next atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(97))
				for pb.Next() {
					l.Reserve(ctx, keys[i%len(keys)], 0)
					i++
				}
			})
		})
		b.Run(a.String()+"/new_key_each_call", func(b *testing.B) {
			l := newL(b, 0)
			fresh := make([]string, 1<<16)
			for i := range fresh {
				fresh[i] = "flood-" + strconv.Itoa(i)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				l.Reserve(ctx, fresh[i&(len(fresh)-1)], 0) // 65536 keys round a bound of 10000: each one evicts
				i++
			}
		})
	}
}
