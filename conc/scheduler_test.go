package conc_test

import (
	"bytes"
	"context"
	stderrors "errors"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/conc"
	"github.com/goxkit/gox/report"
)

func noop(context.Context) error { return nil }

// goroutineID reads the calling goroutine's id from its stack header.
func goroutineID() string {
	var b [64]byte
	s := string(b[:runtime.Stack(b[:], false)])
	return strings.Fields(s)[1]
}

// 100k tasks scheduled at random times run in time order, those of the same
// time in the order they were added, all on one goroutine, with one timer.
func TestScheduler100kTasksRunInTimeOrderOnOneGoroutine(t *testing.T) {
	const n = 100_000
	clk := newFakeClock()
	start := clk.Now()
	s := conc.NewScheduler(context.Background(), conc.WithClock(clk))
	type fired struct {
		at  time.Time
		seq int
	}
	got := make([]fired, 0, n)
	var goroutine string
	ids := map[string]bool{}
	for i := range n {
		at := start.Add(time.Duration(1+rand.IntN(3600)) * time.Second) // many ties
		if err := s.Schedule(at, func(context.Context) error {
			got = append(got, fired{at, i}) // no lock: a second goroutine would be a race
			if id := goroutineID(); id != goroutine {
				goroutine = id
				ids[id] = true
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.Pending != n || st.Ran != 0 {
		t.Fatalf("before their time: %+v", st)
	}
	clk.Advance(time.Hour)
	if err := s.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d of %d tasks ran", len(got), n)
	}
	for i := 1; i < n; i++ {
		a, b := got[i-1], got[i]
		if b.at.Before(a.at) || (b.at.Equal(a.at) && b.seq < a.seq) {
			t.Fatalf("task %d (at %v) ran after task %d (at %v)", b.seq, b.at, a.seq, a.at)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("tasks ran on %d goroutines", len(ids))
	}
	if clk.Timers() != 1 {
		t.Fatalf("%d timers made; want one, reset", clk.Timers())
	}
	if st := s.Stats(); st.Ran != n || st.Pending != 0 || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// A task runs when the clock reaches its time, not before; a task added
// for sooner than the one waited for is not held up by it.
func TestSchedulerRunsEachTaskAtItsTime(t *testing.T) {
	clk := newFakeClock()
	start := clk.Now()
	s := conc.NewScheduler(context.Background(), conc.WithClock(clk))
	ran := make(chan string, 10)
	task := func(name string) func(context.Context) error {
		return func(context.Context) error { ran <- name; return nil }
	}
	must(t, s.Delay(time.Hour, task("hour")))
	clk.BlockUntilTimer(start.Add(time.Hour))
	must(t, s.Delay(time.Minute, task("minute"))) // sooner: the scheduler must wait less
	clk.BlockUntilTimer(start.Add(time.Minute))
	clk.Advance(59 * time.Second)
	clk.BlockUntilTimer(start.Add(time.Minute))
	noneRan(t, ran)
	clk.Advance(time.Second)
	if got := <-ran; got != "minute" {
		t.Fatalf("ran %q first", got)
	}
	clk.BlockUntilTimer(start.Add(time.Hour))
	noneRan(t, ran)
	clk.Advance(time.Hour)
	if got := <-ran; got != "hour" {
		t.Fatalf("ran %q", got)
	}
	must(t, s.Wait(context.Background()))
}

// Delay and Schedule after Wait or Stop fail with ErrClosed, a nil task
// with an error, a task beyond the maximum with ErrFull; none panics.
func TestSchedulerRefusesTasksItCannotTake(t *testing.T) {
	s := conc.NewScheduler(context.Background(), conc.WithMaxPending(1), conc.WithClock(newFakeClock()))
	if err := s.Delay(time.Second, nil); err == nil || !strings.Contains(err.Error(), "nil") {
		t.Fatalf("nil task: %v", err)
	}
	must(t, s.Delay(time.Hour, noop))
	if err := s.Delay(time.Hour, noop); !stderrors.Is(err, conc.ErrFull) {
		t.Fatalf("beyond max pending: %v", err)
	}
	must(t, s.Stop(context.Background()))
	if err := s.Delay(time.Second, noop); !stderrors.Is(err, conc.ErrClosed) {
		t.Fatalf("Delay after Stop: %v", err)
	}

	w := conc.NewScheduler(context.Background())
	must(t, w.Wait(context.Background()))
	if err := w.Delay(time.Second, noop); !stderrors.Is(err, conc.ErrClosed) {
		t.Fatalf("Delay after Wait: %v", err)
	}
	if err := w.Schedule(time.Now(), noop); !stderrors.Is(err, conc.ErrClosed) {
		t.Fatalf("Schedule after Wait: %v", err)
	}
}

// Stop runs the tasks due when it is called, even those queued behind a
// running task, and drops the later ones, counting and logging them.
func TestSchedulerStopRunsDueTasksAndDropsLaterOnes(t *testing.T) {
	clk := newFakeClock()
	var logs bytes.Buffer
	s := conc.NewScheduler(context.Background(), conc.WithClock(clk),
		conc.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	started, release := make(chan struct{}), make(chan struct{})
	ran := make(chan string, 10)
	must(t, s.Delay(time.Second, func(context.Context) error { close(started); <-release; ran <- "1s"; return nil }))
	must(t, s.Delay(2*time.Second, func(context.Context) error { ran <- "2s"; return nil }))
	must(t, s.Delay(time.Hour, func(context.Context) error { ran <- "1h"; return nil }))
	clk.Advance(2 * time.Second)
	<-started // the 2s task is due and waits behind the 1s one
	stopped := make(chan error)
	go func() { stopped <- s.Stop(context.Background()) }()
	probes := uint64(0) // tasks for tomorrow, added until Stop has closed the scheduler
	for ; !stderrors.Is(s.Delay(24*time.Hour, noop), conc.ErrClosed); probes++ {
		runtime.Gosched()
	}
	close(release)
	must(t, <-stopped)
	if a, b := <-ran, <-ran; a != "1s" || b != "2s" {
		t.Fatalf("ran %s, %s", a, b)
	}
	noneRan(t, ran)
	if st := s.Stats(); st.Ran != 2 || st.Dropped != 1+probes || st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
	if !strings.Contains(logs.String(), `"dropped":`) {
		t.Fatalf("the drop was not logged: %s", logs.String())
	}
}

// With WithDrainOnStop, Stop waits for every pending task to run at its time.
func TestSchedulerDrainOnStopRunsEveryTask(t *testing.T) {
	clk := newFakeClock()
	s := conc.NewScheduler(context.Background(), conc.WithClock(clk), conc.WithDrainOnStop())
	ran := make(chan string, 1)
	must(t, s.Delay(time.Hour, func(context.Context) error { ran <- "1h"; return nil }))
	stopped := make(chan error)
	go func() { stopped <- s.Stop(context.Background()) }()
	clk.BlockUntilTimer(clk.Now().Add(time.Hour))
	noneRan(t, ran)
	clk.Advance(time.Hour)
	must(t, <-stopped)
	if <-ran != "1h" {
		t.Fatal("the task did not run")
	}
	if st := s.Stats(); st.Ran != 1 || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// Stop (or Wait) whose ctx is done before the tasks ran abandons them: an
// error says how many were dropped, and the running task's ctx is canceled.
func TestSchedulerStopAbandonsWhenItsContextIsDone(t *testing.T) {
	clk := newFakeClock()
	s := conc.NewScheduler(context.Background(), conc.WithClock(clk), conc.WithDrainOnStop())
	started := make(chan struct{})
	must(t, s.Delay(0, func(ctx context.Context) error { close(started); <-ctx.Done(); return ctx.Err() }))
	must(t, s.Delay(time.Hour, noop))
	must(t, s.Delay(2*time.Hour, noop))
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Stop(ctx)
	if !stderrors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "2 tasks pending") {
		t.Fatalf("Stop: %v", err)
	}
	must(t, s.Start(context.Background())) // returns once the goroutine has ended
	if st := s.Stats(); st.Ran != 1 || st.Failed != 1 || st.Dropped != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// A task that panics or fails is logged and reported, the panic with the
// stack of its site, and the tasks after it still run.
func TestSchedulerReportsFailingTasksAndGoesOn(t *testing.T) {
	d, reports := dispatcher(t)
	var logs bytes.Buffer
	ctx := report.NewContext(context.Background(), d)
	s := conc.NewScheduler(ctx, conc.WithName("reminders"), conc.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	ran := make(chan struct{})
	must(t, s.Delay(0, func(context.Context) error { panicsInTask(); return nil }))
	must(t, s.Delay(0, func(context.Context) error { return stderrors.New("smtp down") }))
	must(t, s.Delay(0, func(context.Context) error { close(ran); return nil }))
	<-ran
	must(t, s.Wait(context.Background()))
	p := next(t, reports)
	if p.Kind != report.KindGoroutine || p.Operation != "reminders" || !p.Panic || !strings.Contains(p.Stack, "panicsInTask") {
		t.Fatalf("panic report %+v", p)
	}
	if f := next(t, reports); f.Panic || f.Message != "smtp down" {
		t.Fatalf("failure report %+v", f)
	}
	if !strings.Contains(logs.String(), "scheduled task panicked") || !strings.Contains(logs.String(), "panicsInTask") ||
		!strings.Contains(logs.String(), "smtp down") {
		t.Fatalf("logs: %s", logs.String())
	}
	if st := s.Stats(); st.Ran != 3 || st.Failed != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func panicsInTask() { panic("nil map in reminder") }

// Canceling NewScheduler's ctx abandons the scheduler: Start returns, the
// pending tasks are dropped.
func TestSchedulerEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := conc.NewScheduler(ctx, conc.WithClock(newFakeClock()))
	must(t, s.Delay(time.Hour, noop))
	cancel()
	must(t, s.Start(context.Background()))
	if st := s.Stats(); st.Dropped != 1 {
		t.Fatalf("stats %+v", st)
	}
	if err := s.Delay(0, noop); !stderrors.Is(err, conc.ErrClosed) {
		t.Fatalf("Delay after the end: %v", err)
	}
}

// On the system clock, a task due in a millisecond runs.
func TestSchedulerOnTheSystemClock(t *testing.T) {
	s := conc.NewScheduler(context.Background())
	ran := make(chan struct{})
	must(t, s.Delay(time.Millisecond, func(context.Context) error { close(ran); return nil }))
	<-ran
	must(t, s.Stop(context.Background()))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func noneRan(t *testing.T, ran <-chan string) {
	t.Helper()
	select {
	case name := <-ran:
		t.Fatalf("%s ran before its time", name)
	default:
	}
}
