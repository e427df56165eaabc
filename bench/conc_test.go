package bench

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/goxkit/gox/conc"
)

// work is a task's body: a few hundred nanoseconds of arithmetic, so that
// what is measured is the primitive's cost around it.
func work(n int, out *int) {
	s := n
	for i := range 200 {
		s = s*31 + i
	}
	*out = s
}

// BenchmarkConcGroup runs 1000 tasks with a limit of 8: conc.Group (which
// also recovers panics and keeps every error in order) against
// errgroup.Group with SetLimit.
func BenchmarkConcGroup(b *testing.B) {
	const tasks, limit = 1000, 8
	b.Run("conc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			g := conc.NewGroup(context.Background(), conc.WithLimit(limit))
			out := make([]int, tasks)
			for i := range tasks {
				_ = g.Go(func(context.Context) error { work(i, &out[i]); return nil })
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("errgroup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var g errgroup.Group
			g.SetLimit(limit)
			out := make([]int, tasks)
			for i := range tasks {
				g.Go(func() error { work(i, &out[i]); return nil })
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkConcMap maps 1000 items 8 at a time, keeping order: conc.Map
// against the hand-written errgroup loop (SetLimit, a goroutine per item,
// results written by index).
func BenchmarkConcMap(b *testing.B) {
	items := make([]int, 1000)
	for i := range items {
		items[i] = i
	}
	const limit = 8
	b.Run("conc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out, err := conc.Map(context.Background(), items, limit, func(_ context.Context, n int) (r int, _ error) { work(n, &r); return r, nil })
			if err != nil || len(out) != len(items) {
				b.Fatal(err)
			}
		}
	})
	b.Run("errgroup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out := make([]int, len(items))
			g, ctx := errgroup.WithContext(context.Background())
			g.SetLimit(limit)
			for i, n := range items {
				g.Go(func() error {
					if err := ctx.Err(); err != nil {
						return err
					}
					work(n, &out[i])
					return nil
				})
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkConcScheduler100k schedules 100k tasks at random delays of
// 100-200 ms and waits until all have run: conc.Scheduler (one goroutine,
// one timer, a heap) against time.AfterFunc per task. Besides time,
// allocations and bytes, it reports the process's CPU time per op (user +
// system, from getrusage) and the heap held while the 100k tasks are
// pending (HeapAlloc after scheduling them, less before; a GC first).
func BenchmarkConcScheduler100k(b *testing.B) {
	const n = 100_000
	delays := make([]time.Duration, n)
	for i := range delays {
		delays[i] = 100*time.Millisecond + time.Duration(rand.Int64N(int64(100*time.Millisecond)))
	}
	measure := func(b *testing.B, schedule func(done *sync.WaitGroup) func()) {
		b.ReportAllocs()
		var cpu time.Duration
		var heap uint64
		for b.Loop() {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			c0 := cpuTime()
			var done sync.WaitGroup
			done.Add(n)
			wait := schedule(&done)
			runtime.ReadMemStats(&after)
			heap = max(heap, after.HeapAlloc-min(after.HeapAlloc, before.HeapAlloc))
			done.Wait()
			wait()
			cpu += cpuTime() - c0
		}
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
		b.ReportMetric(float64(heap)/(1<<20), "pending-heap-MiB")
	}
	b.Run("conc", func(b *testing.B) {
		measure(b, func(done *sync.WaitGroup) func() {
			s := conc.NewScheduler(context.Background())
			for _, d := range delays {
				if err := s.Delay(d, func(context.Context) error { done.Done(); return nil }); err != nil {
					b.Fatal(err)
				}
			}
			return func() {
				if err := s.Wait(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("AfterFunc", func(b *testing.B) {
		measure(b, func(done *sync.WaitGroup) func() {
			for _, d := range delays {
				time.AfterFunc(d, func() { done.Done() })
			}
			return func() {}
		})
	})
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
