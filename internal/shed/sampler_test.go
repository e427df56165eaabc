package shed

import (
	"context"
	"errors"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/goxkit/gox/transport"
	"runtime/metrics"
)

var _ transport.Server = (*Sampler)(nil)

// clockwork is a fake process: CPU time and wall time advanced by hand.
type clockwork struct {
	cpu, wall time.Duration
	err       error
}

func (c *clockwork) read() (time.Duration, time.Duration, error) { return c.cpu, c.wall, c.err }

// step advances the wall time by dt while the process uses cpus CPUs.
func (c *clockwork) step(dt time.Duration, cpus float64) {
	c.wall += dt
	c.cpu += time.Duration(float64(dt) * cpus)
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// Usage is the CPU used over the wall time elapsed, divided by the capacity,
// smoothed with weight 1 − e^(−dt/τ) per sample.
func TestSamplerUsage(t *testing.T) {
	c := &clockwork{}
	s := NewSampler(WithReader(c.read), WithCapacity(1.5))
	s.sample()
	if got := s.Usage(); got != 0 {
		t.Fatalf("Usage = %v after one sample; want 0", got)
	}
	w := 1 - math.Exp(-0.5) // 250 ms over τ 500 ms
	want := 0.0
	for i := range 4 {
		c.step(250*time.Millisecond, 0.75) // half of 1.5 CPUs
		s.sample()
		want += w * (0.5 - want)
		if got := s.Usage(); !near(got, want) {
			t.Fatalf("sample %d: Usage = %v; want %v", i+1, got, want)
		}
	}
	if want := 0.5 * (1 - math.Exp(-2)); !near(want, s.Usage()) {
		t.Fatalf("Usage = %v after 1 s at half the capacity; want %v", s.Usage(), want)
	}
}

// A step from idle to the whole capacity crosses the shedder's default
// threshold within a second; more CPU than the capacity reads 1.
func TestSamplerReactsWithinASecond(t *testing.T) {
	c := &clockwork{}
	s := NewSampler(WithReader(c.read), WithCapacity(2))
	s.sample()
	var crossed time.Duration
	for c.wall < 2*time.Second {
		c.step(250*time.Millisecond, 3) // throttled quota, or a capacity set too low
		s.sample()
		if crossed == 0 && s.Usage() >= 0.8 {
			crossed = c.wall
		}
	}
	if crossed == 0 || crossed > time.Second {
		t.Fatalf("crossed 0.8 at %v; want within 1s", crossed)
	}
	if got, want := s.Usage(), 1-math.Exp(-4); !near(got, want) {
		t.Fatalf("Usage = %v after 2 s above capacity; want %v (each sample clamped to 1)", got, want)
	}
}

// A failed read and a wall clock that did not move are skipped; the next
// good sample covers the whole span.
func TestSamplerSkipsBadReadings(t *testing.T) {
	c := &clockwork{}
	s := NewSampler(WithReader(c.read), WithCapacity(1), WithTimeConstant(time.Nanosecond))
	s.sample()
	c.step(time.Second, 0.25)
	c.err = errors.New("EFAULT")
	s.sample()
	if got := s.Usage(); got != 0 {
		t.Fatalf("Usage = %v after a failed read; want 0", got)
	}
	c.err = nil
	s.sample()
	c.step(0, 0)
	s.sample() // same wall time: skipped
	c.step(time.Second, 0.75)
	s.sample() // 1 s at 0.75
	if got := s.Usage(); !near(got, 0.75) {
		t.Fatalf("Usage = %v; want 0.75 (τ 1ns: the last sample alone)", got)
	}
}

// The real reader sees this process burn CPU. No threshold: a busy machine
// may give the goroutine little of a CPU.
func TestSamplerSeesCPUBurn(t *testing.T) {
	if _, err := processCPU(); err != nil {
		t.Fatalf("processCPU: %v", err)
	}
	s := NewSampler()
	s.sample()
	start, _ := processCPU()
	deadline := time.Now().Add(5 * time.Second)
	x := 1.0
	for time.Now().Before(deadline) {
		for range 100000 {
			x = math.Sqrt(x + 1)
		}
		if c, _ := processCPU(); c-start >= 50*time.Millisecond {
			break
		}
	}
	s.sample()
	if got := s.Usage(); !(got > 0 && got <= 1) || x == 0 {
		t.Fatalf("Usage = %v after burning CPU; want in (0, 1]", got)
	}
}

func TestCapacity(t *testing.T) {
	c := Capacity()
	if !(c > 0 && c <= float64(runtime.NumCPU())) {
		t.Fatalf("Capacity() = %v; want in (0, NumCPU=%d]", c, runtime.NumCPU())
	}
	if got := NewSampler().Capacity(); got != c {
		t.Fatalf("Sampler.Capacity() = %v; want Capacity() %v", got, c)
	}
}

// Start samples until Stop, which waits for it; the goroutine is gone after
// (TestMain checks).
func TestSamplerStartStop(t *testing.T) {
	c := &clockwork{}
	reads := make(chan struct{}, 1)
	s := NewSampler(WithInterval(time.Hour), WithReader(func() (time.Duration, time.Duration, error) {
		select {
		case reads <- struct{}{}:
		default:
		}
		return c.read()
	}))
	started := make(chan error, 1)
	go func() { started <- s.Start(context.Background()) }()
	<-reads // the first sample, taken at once
	if err := s.Start(context.Background()); !errors.Is(err, errStarted) {
		t.Fatalf("second Start = %v; want errStarted", err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	if err := <-started; err != nil {
		t.Fatalf("Start = %v after Stop; want nil", err)
	}
}

func TestSamplerStopsWithContextAndBeforeStart(t *testing.T) {
	s := NewSampler(WithInterval(time.Hour))
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop before Start = %v", err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("Start after Stop = %v; want nil at once", err)
	}

	s = NewSampler(WithInterval(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start with a done context = %v; want nil", err)
	}
}

// Backlog is the goroutines ready to run times the CPU time per scheduling
// over the last interval, over GOMAXPROCS; 0 before an interval was seen.
func TestSamplerBacklog(t *testing.T) {
	c := &clockwork{}
	s := NewSampler(WithReader(c.read), WithCapacity(1))
	s.readQueue = func() (time.Duration, uint64) { return 0, 5000 } // schedulings per interval
	runnable := uint64(40)
	s.runnable = func() uint64 { return runnable }
	s.sample()
	if got := s.Backlog(); got != 0 {
		t.Fatalf("Backlog = %v after one sample; want 0", got)
	}
	c.step(100*time.Millisecond, 1) // 100 ms of CPU over 5000 schedulings: 20 µs each
	s.sample()
	procs := time.Duration(max(runtime.GOMAXPROCS(0), 1))
	if got, want := s.Backlog(), 40*20*time.Microsecond/procs; got != want {
		t.Fatalf("Backlog = %v with 40 runnable; want %v", got, want)
	}
	runnable = 0
	if got := s.Backlog(); got != 0 {
		t.Fatalf("Backlog = %v with none runnable; want 0", got)
	}
}

// The runtime's count of runnable goroutines is there.
func TestRunnableReadsTheRuntime(t *testing.T) {
	s := []metrics.Sample{{Name: runnable}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		t.Fatalf("%s: kind %v; want a uint64", runnable, s[0].Value.Kind())
	}
	_ = runnableNow()
}
