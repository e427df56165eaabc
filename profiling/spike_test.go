package profiling

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The real thing: a process that spins its CPUs, leaks goroutines and holds
// 64 MiB gets its three profiles written and reported, read on the real
// clock from the operating system and runtime/metrics.
func TestRealSpikeIsCapturedAndReported(t *testing.T) {
	if testing.Short() {
		t.Skip("spins the CPUs")
	}
	dir := t.TempDir()
	rep := newReports()
	cfg := Config{Dir: dir, Interval: 50 * time.Millisecond, History: 5, CPUDuration: 200 * time.Millisecond,
		CPU:       Rule{Enabled: true, Min: 10, Diff: 100, Cooldown: time.Millisecond},
		Heap:      Rule{Enabled: true, Min: 40, Diff: 100, Cooldown: time.Millisecond},
		Goroutine: Rule{Enabled: true, Min: 500, Diff: 100, Cooldown: time.Millisecond}}
	p, err := New(cfg, WithReporter(rep), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	var reads atomic.Int64
	read := p.o.read
	p.o.read = func() (Sample, error) { reads.Add(1); return read() }

	runtime.GC() // what earlier tests left is not the calm heap
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Start(ctx) }()
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := p.Stop(stopCtx); err != nil {
			t.Error(err)
		}
		<-done
	}()
	for reads.Load() < int64(cfg.History)+2 { // the history full of calm readings
		if ctx.Err() != nil {
			t.Fatal("the profiler took no readings")
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond)
	}

	// The spike: every CPU spinning, 2,000 goroutines blocked, 64 MiB held.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for n := 0; ; n++ {
				if n%1024 == 0 {
					select {
					case <-stop:
						return
					default:
					}
				}
			}
		})
	}
	for range 2000 {
		wg.Go(func() { <-stop })
	}
	ballast := make([]byte, 64<<20)
	defer runtime.KeepAlive(ballast)

	seen := map[string]bool{}
	for len(seen) < 3 {
		select {
		case r := <-rep.ch:
			rule := r.Tags["rule"]
			if seen[rule] {
				continue
			}
			seen[rule] = true
			data, err := os.ReadFile(r.Tags["file"])
			if err != nil || len(r.Attachments) != 1 || len(data) != len(r.Attachments[0].Data) {
				t.Fatalf("%s: file %q (%v), %d attachments", rule, r.Tags["file"], err, len(r.Attachments))
			}
			assertPprof(t, data, rule)
			t.Logf("%s: %s", rule, r.Message)
		case <-ctx.Done():
			t.Fatalf("only %v reported within the deadline", seen)
		}
	}
}
