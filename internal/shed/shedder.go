package shed

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Priority says which calls give way first under overload.
type Priority int8

const (
	// Low calls are shed once 3/4 of the limit is in flight: batch jobs,
	// prefetches, anything a client retries later without a user waiting.
	Low Priority = -1
	// Normal is the zero Priority: shed beyond the limit.
	Normal Priority = 0
	// Critical calls are never shed, though they count in flight: health
	// checks, calls that release resources or end work already admitted.
	Critical Priority = 1
)

// String returns "low", "normal" or "critical".
func (p Priority) String() string {
	switch {
	case p < Normal:
		return "low"
	case p > Normal:
		return "critical"
	}
	return "normal"
}

// Shedder decides, call by call, whether the process takes on more work; see
// the package doc for the algorithm. Safe for concurrent use.
type Shedder struct {
	cpu       func() float64
	now       func() time.Duration
	threshold float64
	latency   float64 // recentRT ≥ latency × minRT is overload too; 0: CPU only
	coolOff   time.Duration
	win       *window
	queue     func() time.Duration // how long work waits for a CPU; nil: not watched
	target    time.Duration        // the wait beyond which admission is cut
	backlog   func() time.Duration // the CPU time of the work waiting to run now; nil: not watched

	inFlight atomic.Int64  //
	admit    atomic.Uint64 // math.Float64bits of the share of calls admitted, 0..1 (queue control)
	adjusted atomic.Int64  // clock reading of the last change of admit
	readAt   atomic.Int64  // clock reading of the last backlog read
	waiting  atomic.Int64  // what it read
	fastest  atomic.Int64  // the window's minRT then, ns (0: not measured)
	lastShed atomic.Int64  // clock reading of the last shed at high CPU; never when none
	shed     atomic.Uint64
}

const never = math.MinInt64

// Option tunes a Shedder.
type Option func(*Shedder)

// WithWindow sets the rolling window and its number of buckets (default 5 s
// in 50 buckets). A longer window remembers a better past for longer; a
// bucket must be long enough to hold several completed calls.
func WithWindow(d time.Duration, buckets int) Option {
	return func(s *Shedder) {
		if buckets > 0 && d >= time.Duration(buckets) {
			s.win = newWindow(d, buckets)
		}
	}
}

// WithCPUThreshold sets the CPU usage, a fraction 0..1 of what the process
// may use, from which calls beyond the limit are shed (default 0.8).
func WithCPUThreshold(f float64) Option {
	return func(s *Shedder) {
		if f > 0 {
			s.threshold = f
		}
	}
}

// WithLatencyFactor sets how much slower than the best the window saw
// calls must complete now (the last complete bucket's average against
// minRT) to count as overload as well as a hot CPU does (default 2; 0: the
// CPU alone decides). It catches what the CPU reading cannot: a process
// starved of CPU by its neighbours, or queueing on a resource it waits for.
func WithLatencyFactor(f float64) Option {
	return func(s *Shedder) {
		if f >= 0 {
			s.latency = f
		}
	}
}

// WithQueueDelay makes the Shedder watch how long work waits for a CPU
// (queue: a Sampler's QueueDelay) and admit only a share of calls while that
// exceeds target (or twice minRT, when more): a request waits there, read
// but not yet running, in front of every middleware, so no in-flight count
// sees the backlog a CPU-bound service builds when given more than it can
// do. The share is cut by a fifth at each reading over target, grows back
// by 5 points at each reading under it, and by half again once the wait is
// under a quarter of the target (once per queueEvery): the refused calls
// cost little, the backlog drains, and the admitted ones run in time.
func WithQueueDelay(queue func() time.Duration, target time.Duration) Option {
	return func(s *Shedder) {
		if queue != nil && target > 0 {
			s.queue, s.target = queue, target
		}
	}
}

// WithBacklog makes the Shedder refuse, call by call, while the work
// waiting for a CPU right now (backlog: a Sampler's Backlog) exceeds an
// eighth of the queue delay's target while the CPU is at or over its
// threshold, a quarter of it below, and never less than the fastest calls
// take (the window's minRT) (see WithQueueDelay, which it needs; half that
// again for Low calls): the estimate counts every runnable goroutine
// at the average cost of one, so a burst of a lightly loaded process can
// look like a backlog it clears in a few milliseconds. The admitted share follows the queue every
// queueEvery; this acts at once and holds the backlog, not a reading of it
// a tenth of a second old: when a load several times what the process can
// do starts, that tenth of a second would admit enough to keep the next
// calls waiting for hundreds of milliseconds, and a share drawn at random
// lets bursts through. backlog is read at most once per backlogEvery of
// the clock.
func WithBacklog(backlog func() time.Duration) Option {
	return func(s *Shedder) { s.backlog = backlog }
}

// backlogEvery is how stale the backlog a call is judged by may be.
const backlogEvery = 250 * time.Microsecond

// backlogged says whether the work waiting for a CPU at now is over what a
// call of priority p may join.
func (s *Shedder) backlogged(now time.Duration, p Priority) bool {
	if s.backlog == nil {
		return false
	}
	if last := s.readAt.Load(); (last == never || now-time.Duration(last) >= backlogEvery) && s.readAt.CompareAndSwap(last, int64(now)) {
		s.waiting.Store(int64(s.backlog()))
		if e := s.win.estimate(now); e.ok {
			s.fastest.Store(int64(e.minRT))
		}
	}
	limit := s.target / 4 // a burst a process keeps up with is no overload
	if s.cpu() >= s.threshold {
		limit = s.target / 8
	}
	// a call may always wait for one as long as the fastest calls take:
	// handlers of 10 ms are not refused because one is queued
	limit = max(limit, time.Duration(s.fastest.Load()))
	if p < Normal {
		limit /= 2
	}
	return time.Duration(s.waiting.Load()) > limit
}

// queueCut is what the admitted share is multiplied by at a reading over
// the target.
const queueCut = 0.8

// queueEvery is how often the admitted share follows the queue delay: the
// Sampler's interval.
const queueEvery = 100 * time.Millisecond

// WithCoolOff sets how long after the last shed at high CPU the Shedder
// keeps shedding calls beyond the limit whatever the CPU reads (default 1 s).
func WithCoolOff(d time.Duration) Option {
	return func(s *Shedder) {
		if d >= 0 {
			s.coolOff = d
		}
	}
}

// WithClock replaces the clock: now returns the time elapsed since a fixed
// origin, never decreasing. For tests.
func WithClock(now func() time.Duration) Option {
	return func(s *Shedder) { s.now = now }
}

// New returns a Shedder that reads the process's CPU usage, a fraction 0..1,
// from cpu (a Sampler's Usage). cpu is called on every call to Allow and must
// be cheap.
func New(cpu func() float64, opts ...Option) *Shedder {
	origin := time.Now()
	s := &Shedder{
		cpu:       cpu,
		now:       func() time.Duration { return time.Since(origin) },
		threshold: 0.8,
		latency:   2,
		coolOff:   time.Second,
		win:       newWindow(5*time.Second, 50),
	}
	s.lastShed.Store(never)
	s.admit.Store(math.Float64bits(1))
	s.adjusted.Store(never)
	s.readAt.Store(never)
	for _, o := range opts {
		o(s)
	}
	return s
}

// Token stands for one admitted call until it is handed to Done.
type Token struct {
	start    time.Duration
	admitted bool
}

// Allow decides whether a call of priority p may run. When ok, the call
// counts in flight until Done(tok); Done must be called exactly once for it.
// When not, the caller refuses the call (503, RESOURCE_EXHAUSTED) and Done
// must not be called (it ignores such a Token).
func (s *Shedder) Allow(p Priority) (tok Token, ok bool) { return s.AllowAt(p, s.now()) }

// AllowAt is Allow for a call that arrived at now, a reading of the
// Shedder's clock the caller took (a transport's stamp): no clock read.
func (s *Shedder) AllowAt(p Priority, now time.Duration) (tok Token, ok bool) {
	if p < Critical && s.queue != nil && (!s.admitted(now, p) || s.backlogged(now, p)) {
		s.shed.Add(1)
		return Token{}, false
	}
	n := s.inFlight.Add(1)
	if p < Critical && s.shouldShed(now, n, p) {
		s.inFlight.Add(-1)
		s.shed.Add(1)
		return Token{}, false
	}
	return Token{start: now, admitted: true}, true
}

// Forget ends the admitted call of tok without recording it: a stream, whose
// length says nothing of load, counts in flight only while it is admitted.
func (s *Shedder) Forget(tok Token) {
	if tok.admitted {
		s.inFlight.Add(-1)
	}
}

// Done records that the call of tok completed, and its response time.
func (s *Shedder) Done(tok Token) {
	if tok.admitted {
		s.DoneAt(tok, s.now())
	}
}

// DoneAt is Done for a call that ended at now, a reading of the Shedder's
// clock the caller took.
func (s *Shedder) DoneAt(tok Token, now time.Duration) {
	if !tok.admitted {
		return
	}
	s.win.record(now, now-tok.start)
	s.inFlight.Add(-1)
}

// shouldShed says whether a call of priority p is shed at now, n calls in
// flight with it.
func (s *Shedder) shouldShed(now time.Duration, n int64, p Priority) bool {
	hot := s.cpu() >= s.threshold
	if !hot && s.latency == 0 && !s.coolingOff(now) {
		return false
	}
	e := s.win.estimate(now)
	if !e.ok {
		return false // cold start: nothing measured yet
	}
	if n <= admitted(e.limit, p) {
		return false
	}
	if hot || s.slow(e) {
		s.lastShed.Store(int64(now))
		return true
	}
	return s.coolingOff(now)
}

// admitted draws whether a call of priority p is within the admitted share
// (its square for Low priority, which gives way first), first following the
// queue delay when a reading is due.
func (s *Shedder) admitted(now time.Duration, p Priority) bool {
	if last := s.adjusted.Load(); (last == never || now-time.Duration(last) >= queueEvery) && s.adjusted.CompareAndSwap(last, int64(now)) {
		target := s.target
		if e := s.win.estimate(now); e.ok {
			target = max(target, 2*e.minRT)
		}
		share := math.Float64frombits(s.admit.Load())
		switch d := s.queue(); {
		case d > target:
			share = max(share*queueCut, 0.02)
		case d < target/4:
			share = min(share*1.5+0.05, 1) // the backlog is gone: back quickly
		default:
			share = min(share+0.05, 1)
		}
		s.admit.Store(math.Float64bits(share))
	}
	share := math.Float64frombits(s.admit.Load())
	if p < Normal {
		share *= share
	}
	return share >= 1 || rand.Float64() < share
}

// slow says whether calls complete latency times slower now than the best
// bucket of the window.
func (s *Shedder) slow(e *estimate) bool {
	return s.latency > 0 && e.recentRT > 0 && float64(e.recentRT) >= s.latency*float64(e.minRT)
}

// coolingOff says whether a call was shed at high CPU within CoolOff of now.
func (s *Shedder) coolingOff(now time.Duration) bool {
	last := s.lastShed.Load()
	return last != never && now-time.Duration(last) < s.coolOff
}

// admitted returns how many calls of priority p may be in flight while
// shedding, given the limit.
func admitted(limit int64, p Priority) int64 {
	if p < Normal {
		limit -= limit/4 + min(limit%4, 1) // ⌊limit × 3/4⌋ without overflow
	}
	return max(limit, 1)
}

// Stats is a snapshot of a Shedder, for metrics and status pages.
type Stats struct {
	// CPU is the usage the Shedder sees, a fraction 0..1.
	CPU float64
	// InFlight is how many admitted calls have not called Done.
	InFlight int64
	// Limit is the calls that may be in flight while shedding (Normal
	// priority); 0 while the window holds no completed call.
	Limit int64
	// MaxPass is the most calls completed in one bucket of the window.
	MaxPass int64
	// MinRT is the smallest average response time of a bucket; RecentRT
	// the average of the last complete one (0 when it holds no call).
	MinRT    time.Duration
	RecentRT time.Duration
	// QueueDelay is how long work waits for a CPU (0 when not watched);
	// Admitted the share of calls admitted for it (1: all).
	QueueDelay time.Duration
	Admitted   float64
	// Backlog is the CPU time queued in front of the last call that read
	// it (0 when not watched).
	Backlog time.Duration
	// Shedding is true while a call was shed at high CPU within the last
	// CoolOff.
	Shedding bool
	// Shed counts the calls refused since New.
	Shed uint64
}

// Stats returns a snapshot of s.
func (s *Shedder) Stats() Stats {
	now := s.now()
	e := s.win.estimate(now)
	return Stats{
		CPU:        s.cpu(),
		InFlight:   s.inFlight.Load(),
		Limit:      e.limit,
		MaxPass:    e.maxPass,
		MinRT:      e.minRT,
		RecentRT:   e.recentRT,
		Shedding:   s.coolingOff(now) || math.Float64frombits(s.admit.Load()) < 1,
		QueueDelay: s.queueDelay(),
		Admitted:   math.Float64frombits(s.admit.Load()),
		Backlog:    time.Duration(s.waiting.Load()),
		Shed:       s.shed.Load(),
	}
}

func (s *Shedder) queueDelay() time.Duration {
	if s.queue == nil {
		return 0
	}
	return s.queue()
}
