package conc

import (
	"container/heap"
	"context"
	stderrors "errors"
	"fmt"
	"sync"
	"time"

	"github.com/goxkit/gox/report"
	"github.com/goxkit/gox/transport"
)

// ErrClosed is returned by Scheduler.Delay and Schedule once Wait or Stop
// has been called.
var ErrClosed = stderrors.New("conc: the scheduler is closed (Wait or Stop was called)")

// ErrFull is returned by Scheduler.Delay and Schedule when the scheduler
// holds its maximum of pending tasks (WithMaxPending).
var ErrFull = stderrors.New("conc: the scheduler is full")

// Scheduler runs tasks at a given time, as schedgroup does: Delay and
// Schedule add a task, Wait waits for all of them to have run. It keeps the
// pending tasks in a heap and waits on one timer from one goroutine, rather
// than a timer and a goroutine per task, so a hundred thousand pending tasks
// cost a few megabytes and no runtime timers.
//
// Tasks run one at a time on the scheduler's goroutine, in the order of
// their time (tasks of the same time in the order they were added). A task
// that takes long delays the ones after it: hand long work to Go. A task's
// ctx carries the values of the ctx given to NewScheduler; it is canceled
// when the scheduler is abandoned (see Stop). A task that fails or panics
// is logged and reported, as Go does, and does not stop the others.
//
// A Scheduler is a transport.Server, so an App stops it with its servers:
//
//	s := conc.NewScheduler(ctx, conc.WithName("reminders"))
//	app := gox.New(gox.WithServer(s), ...)
//
// What Stop does with pending tasks: the tasks already due when Stop is
// called run; the later ones are dropped, counted in Stats().Dropped and
// logged. With WithDrainOnStop, Stop waits for every pending task to run at
// its time instead, like Wait. Either way, when Stop's ctx is done first the
// scheduler is abandoned: the running task's ctx is canceled and every task
// not yet run is dropped. A Scheduler needs no Start to run; it runs from
// NewScheduler until Wait or Stop returns or NewScheduler's ctx is done.
type Scheduler struct {
	o      options
	name   string
	clock  Clock
	base   context.Context // the tasks' ctx
	cancel context.CancelFunc
	unhook func() bool // removes the watch of NewScheduler's ctx
	sub    report.Submitter
	wake   chan struct{}
	done   chan struct{}

	mu     sync.Mutex
	tasks  taskHeap
	seq    uint64
	closed bool      // no more tasks taken
	drop   bool      // at closing, drop the tasks due after cutoff
	cutoff time.Time // when Stop was called
	abort  bool      // drop every task now
	stats  SchedulerStats
}

// SchedulerStats counts what became of a Scheduler's tasks.
type SchedulerStats struct {
	Pending int    // waiting for their time
	Ran     uint64 // run, failed ones included
	Failed  uint64 // returned an error or panicked
	Dropped uint64 // never run: the scheduler stopped or was abandoned first
}

var _ transport.Server = (*Scheduler)(nil)

// NewScheduler returns a running Scheduler. Its tasks get ctx's values;
// when ctx is done the scheduler is abandoned (see Stop). It reads
// WithClock, WithName, WithTimeout (each task's bound), WithLogger,
// WithReporter (else report.FromContext(ctx)), WithMaxPending and
// WithDrainOnStop. Call Wait or Stop (or let an App do it) to end its
// goroutine.
func NewScheduler(ctx context.Context, opts ...Option) *Scheduler {
	s := &Scheduler{o: newOptions(opts), wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.name, s.clock, s.sub = s.o.name, s.o.clock, s.o.reporter
	if s.name == "" {
		s.name = "conc.Scheduler"
	}
	if s.clock == nil {
		s.clock = SystemClock{}
	}
	if s.sub == nil {
		s.sub = report.FromContext(ctx)
	}
	s.base, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.unhook = context.AfterFunc(ctx, func() { s.abandon() })
	go s.loop()
	return s
}

// Delay runs fn once d has passed (at once for d <= 0). It fails with
// ErrClosed after Wait or Stop was called, with ErrFull when the scheduler
// holds its maximum of tasks, and on a nil fn.
func (s *Scheduler) Delay(d time.Duration, fn func(ctx context.Context) error) error {
	return s.Schedule(s.clock.Now().Add(d), fn)
}

// Schedule runs fn at t (at once for a t in the past). Its errors are
// Delay's.
func (s *Scheduler) Schedule(t time.Time, fn func(ctx context.Context) error) error {
	if fn == nil {
		return fmt.Errorf("conc: scheduler %s: the task is nil", s.name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.o.maxPending > 0 && len(s.tasks) >= s.o.maxPending {
		return fmt.Errorf("%w: %d tasks pending (max pending)", ErrFull, len(s.tasks))
	}
	heap.Push(&s.tasks, &task{at: t, seq: s.seq, fn: fn})
	s.seq++
	if s.tasks[0].seq == s.seq-1 { // the new task is the next one: wait less
		s.signal()
	}
	return nil
}

// Wait takes no more tasks and waits until every pending task has run at
// its time. When ctx is done first, it abandons the scheduler (the running
// task's ctx is canceled, the pending tasks are dropped) and returns an
// error that wraps ctx's and counts the dropped tasks.
func (s *Scheduler) Wait(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.signal()
	return s.await(ctx, "wait")
}

// Start blocks until the scheduler has stopped — after Stop or Wait, or
// when NewScheduler's ctx or Start's ctx is done, which abandons it — and
// returns nil. The scheduler runs without it; Start is what lets an App own
// its lifetime.
func (s *Scheduler) Start(ctx context.Context) error {
	select {
	case <-s.done:
	case <-ctx.Done():
		s.abandon()
		<-s.done
	}
	return nil
}

// Stop takes no more tasks, runs the tasks already due, drops the later
// ones (or, with WithDrainOnStop, runs them all at their time) and returns
// once the scheduler's goroutine has ended. When ctx is done first, it
// abandons the scheduler, as Wait does, and returns an error.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	if !s.o.drainOnStop && !s.drop {
		s.drop, s.cutoff = true, s.clock.Now()
	}
	s.mu.Unlock()
	s.signal()
	return s.await(ctx, "stop")
}

// Stats returns the counts so far.
func (s *Scheduler) Stats() SchedulerStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Pending = len(s.tasks)
	return st
}

// await waits for the loop to end, or abandons the scheduler when ctx is done.
func (s *Scheduler) await(ctx context.Context, what string) error {
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		n := len(s.tasks)
		s.mu.Unlock()
		s.abandon()
		return fmt.Errorf("conc: scheduler %s: %s: abandoned with %d tasks pending, dropped: %w", s.name, what, n, ctx.Err())
	}
}

// abandon drops every pending task and cancels the running one's ctx.
func (s *Scheduler) abandon() {
	s.mu.Lock()
	s.closed, s.abort = true, true
	s.mu.Unlock()
	s.cancel()
	s.signal()
}

// signal wakes the loop up to look at the heap again.
func (s *Scheduler) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Scheduler) loop() {
	var timer Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		s.unhook()
		s.cancel()
		close(s.done)
	}()
	for {
		s.mu.Lock()
		t, wait, exit := s.nextLocked()
		s.mu.Unlock()
		if exit {
			return
		}
		if t != nil {
			s.run(t)
			continue
		}
		var fire <-chan time.Time
		if wait >= 0 {
			if timer == nil {
				timer = s.clock.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			fire = timer.C()
		}
		select {
		case <-fire:
		case <-s.wake:
		}
	}
}

// nextLocked returns the task to run now, or how long to wait for the next
// one (-1: until woken), or that the loop is to end. s.mu is held.
func (s *Scheduler) nextLocked() (t *task, wait time.Duration, exit bool) {
	if s.abort {
		s.dropLocked()
		return nil, 0, true
	}
	now := s.clock.Now()
	if len(s.tasks) > 0 {
		at := s.tasks[0].at
		if s.closed && s.drop {
			if !at.After(s.cutoff) {
				return heap.Pop(&s.tasks).(*task), 0, false
			}
			s.dropLocked()
			return nil, 0, true
		}
		if !at.After(now) {
			return heap.Pop(&s.tasks).(*task), 0, false
		}
		return nil, at.Sub(now), false
	}
	if s.closed {
		return nil, 0, true
	}
	return nil, -1, false
}

// dropLocked drops the pending tasks, counting and logging them.
func (s *Scheduler) dropLocked() {
	if n := len(s.tasks); n > 0 {
		s.stats.Dropped += uint64(n)
		s.tasks = nil
		s.o.log().WarnContext(s.base, "scheduler stopped with tasks pending; they are dropped", "name", s.name, "dropped", n)
	}
}

// run runs t, logging and reporting its failure.
func (s *Scheduler) run(t *task) {
	ctx, cancel := bounded(s.base, s.o.timeout)
	err := call(ctx, t.fn)
	cancel()
	s.mu.Lock()
	s.stats.Ran++
	if err != nil {
		s.stats.Failed++
	}
	s.mu.Unlock()
	if err != nil {
		logFailure(s.base, s.o.log(), "scheduled task", s.name, err)
		if s.sub != nil {
			s.sub.Submit(s.base, &report.Report{Kind: report.KindGoroutine, Operation: s.name, Err: err})
		}
	}
}

// task is a pending task.
type task struct {
	at  time.Time
	seq uint64 // orders tasks of the same time
	fn  func(ctx context.Context) error
}

// taskHeap is a min-heap of tasks by time, then by seq. It holds pointers:
// container/heap passes elements as any, which boxes a struct (an
// allocation per Push and per Pop) but not a pointer.
type taskHeap []*task

func (h taskHeap) Len() int { return len(h) }
func (h taskHeap) Less(i, j int) bool {
	if c := h[i].at.Compare(h[j].at); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}
func (h taskHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *taskHeap) Push(x any)   { *h = append(*h, x.(*task)) }
func (h *taskHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil // let the task be collected
	*h = old[:len(old)-1]
	return t
}
