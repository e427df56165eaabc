package shed

import (
	"context"
	"errors"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Sampler measures the CPU usage of this process as a fraction 0..1 of the
// CPUs it may use, smoothed; see the package doc. Usage is safe for
// concurrent use and costs an atomic load.
//
// It reads the operating system's account of the process (getrusage,
// GetProcessTimes), not runtime/metrics' /cpu/classes: the runtime refreshes
// those only at the end of a GC cycle (cpuStatsAggregate.compute in
// runtime/metrics.go copies the stop-the-world snapshot), so a process that
// allocates little would see its CPU usage frozen for seconds or minutes.
type Sampler struct {
	interval time.Duration
	tau      time.Duration
	capacity float64
	read     func() (cpu, wall time.Duration, err error)

	usage atomic.Uint64 // math.Float64bits of the smoothed usage
	queue atomic.Int64  // the 90th percentile of scheduling waits in the last interval, ns
	// readQueue returns that percentile since its last call (queueDelay),
	// and how many schedulings there were meanwhile.
	readQueue func() (time.Duration, uint64)
	slice     atomic.Int64 // CPU time per scheduling over the last interval, ns
	procs     atomic.Int64 // GOMAXPROCS at the last sample
	runnable  func() uint64

	mu       sync.Mutex // guards what follows
	primed   bool
	prevCPU  time.Duration
	prevWall time.Duration
	started  bool
	done     chan struct{} // closed when Start returns
	stop     chan struct{}
	stopOnce sync.Once
}

// SamplerOption tunes a Sampler.
type SamplerOption func(*Sampler)

// WithInterval sets how often the CPU time and the scheduling waits are
// read (default 100 ms: the queue control reacts within a few readings).
func WithInterval(d time.Duration) SamplerOption {
	return func(s *Sampler) {
		if d > 0 {
			s.interval = d
		}
	}
}

// WithTimeConstant sets the time constant τ of the moving average (default
// 500 ms): a sample taken dt after the previous one weighs 1 − e^(−dt/τ)
// (0.18 at 100 ms), so a step in usage shows 63% after τ and 86% after 2τ.
func WithTimeConstant(tau time.Duration) SamplerOption {
	return func(s *Sampler) {
		if tau > 0 {
			s.tau = tau
		}
	}
}

// WithCapacity sets the CPUs the process may use, overriding Capacity().
func WithCapacity(cpus float64) SamplerOption {
	return func(s *Sampler) {
		if cpus > 0 {
			s.capacity = cpus
		}
	}
}

// WithReader replaces what the Sampler reads: the CPU time the process has
// used and the wall time, both since any fixed origin. For tests.
func WithReader(read func() (cpu, wall time.Duration, err error)) SamplerOption {
	return func(s *Sampler) { s.read = read }
}

// NewSampler returns a Sampler; it samples once started.
func NewSampler(opts ...SamplerOption) *Sampler {
	origin := time.Now()
	s := &Sampler{
		interval: 100 * time.Millisecond,
		tau:      500 * time.Millisecond,
		read: func() (time.Duration, time.Duration, error) {
			c, err := processCPU()
			return c, time.Since(origin), err
		},
		stop: make(chan struct{}),
	}
	var prev []uint64
	s.readQueue = func() (time.Duration, uint64) { return queueDelay(&prev) }
	s.runnable = runnableNow
	s.procs.Store(int64(runtime.GOMAXPROCS(0)))
	for _, o := range opts {
		o(s)
	}
	if s.capacity == 0 {
		s.capacity = Capacity()
	}
	return s
}

// Capacity returns the CPUs this process may use: runtime.NumCPU (which
// honours the affinity mask, taskset) or, on Linux, its cgroup's CPU quota
// (cgroup v2 cpu.max, v1 cpu.cfs_quota_us / cpu.cfs_period_us, the smallest
// on the way to the root) when that is less. A quota may be a fraction.
func Capacity() float64 {
	n := float64(runtime.NumCPU())
	if q, ok := cgroupLimit(); ok && q < n {
		return q
	}
	return n
}

// QueueDelay returns how long goroutines waited to run, runnable, over the
// last interval (the 90th percentile of the runtime's /sched/latencies): the
// time a request read from the network waits for a CPU before any of its
// handling runs. 0 until sampled, and for an interval with few waits.
func (s *Sampler) QueueDelay() time.Duration { return time.Duration(s.queue.Load()) }

// Backlog estimates the CPU time of the work waiting to run now: the
// goroutines ready to run but not running (the runtime's count, read at
// each call), times the CPU time a goroutine ran for each time it was
// scheduled over the last interval, over GOMAXPROCS. A request read from the
// network waits there before any middleware; a few hundred cheap goroutines
// of a busy I/O-bound service are little backlog, a few dozen CPU-bound
// handlers are much. 0 until two samples were taken.
func (s *Sampler) Backlog() time.Duration {
	slice := s.slice.Load()
	if slice == 0 {
		return 0
	}
	return time.Duration(int64(s.runnable()) * slice / max(s.procs.Load(), 1))
}

// Usage returns the smoothed CPU usage, 0..1; 0 until two samples were taken.
func (s *Sampler) Usage() float64 { return math.Float64frombits(s.usage.Load()) }

// Capacity returns the CPUs the Sampler divides by.
func (s *Sampler) Capacity() float64 { return s.capacity }

var errStarted = errors.New("shed: sampler already started")

// Start samples every interval until ctx is done or Stop is called, then
// returns nil; it blocks, like every gox Server. Start at most once.
func (s *Sampler) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errStarted
	}
	s.started = true
	s.done = make(chan struct{})
	defer close(s.done)
	s.mu.Unlock()

	t := time.NewTicker(s.interval)
	defer t.Stop()
	s.sample()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.stop:
			return nil
		case <-t.C:
			s.sample()
		}
	}
}

// Stop makes Start return and waits for it until ctx is done. Usage keeps
// its last value.
func (s *Sampler) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stop) })
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sample reads the CPU time and folds the usage since the last reading into
// the moving average. A failed read is skipped.
func (s *Sampler) sample() {
	d, scheduled := s.readQueue()
	s.queue.Store(int64(d))
	s.procs.Store(int64(runtime.GOMAXPROCS(0)))
	cpu, wall, err := s.read()
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dc, dw := cpu-s.prevCPU, wall-s.prevWall
	if s.primed && dw <= 0 {
		return
	}
	first := !s.primed
	s.primed, s.prevCPU, s.prevWall = true, cpu, wall
	if first {
		return
	}
	if scheduled > 0 && dc > 0 {
		s.slice.Store(int64(dc) / int64(scheduled))
	}
	u := min(max(dc.Seconds()/dw.Seconds()/s.capacity, 0), 1)
	w := 1 - math.Exp(-float64(dw)/float64(s.tau))
	old := s.Usage()
	s.usage.Store(math.Float64bits(old + w*(u-old)))
}
