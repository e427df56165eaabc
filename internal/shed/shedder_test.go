package shed

import (
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rig is a Shedder on a fake clock and a fake CPU reading.
type rig struct {
	t   *testing.T
	s   *Shedder
	now time.Duration
	cpu float64
	// held are admitted calls not yet done.
	held []Token
}

func newRig(t *testing.T, opts ...Option) *rig {
	r := &rig{t: t}
	opts = append([]Option{WithClock(func() time.Duration { return r.now })}, opts...)
	r.s = New(func() float64 { return r.cpu }, opts...)
	return r
}

const width = 100 * time.Millisecond // of a bucket by default

// traffic completes perBucket calls of rt in each of n buckets, at low CPU,
// starting at the next bucket boundary, and leaves the clock at the start
// of the bucket after them.
func (r *rig) traffic(n, perBucket int, rt time.Duration) {
	r.t.Helper()
	cpu := r.cpu
	r.cpu = 0
	r.now = r.now.Truncate(width)
	for range n {
		toks := make([]Token, perBucket)
		for i := range toks {
			tok, ok := r.s.Allow(Normal)
			if !ok {
				r.t.Fatal("shed at low CPU")
			}
			toks[i] = tok
		}
		r.now += rt
		for _, tok := range toks {
			r.s.Done(tok)
		}
		r.now = r.now.Truncate(width) + width
	}
	r.cpu = cpu
}

// fill admits calls of p until one is shed or max are held, and returns how
// many it admitted.
func (r *rig) fill(p Priority, max int) int {
	for n := range max {
		tok, ok := r.s.Allow(p)
		if !ok {
			return n
		}
		r.held = append(r.held, tok)
	}
	return max
}

// release completes n held calls.
func (r *rig) release(n int) {
	for _, tok := range r.held[:n] {
		r.s.Done(tok)
	}
	r.held = r.held[n:]
}

func TestColdStartAdmitsEverything(t *testing.T) {
	r := newRig(t)
	r.cpu = 1
	if n := r.fill(Normal, 1000); n != 1000 {
		t.Fatalf("admitted %d of 1000 calls before anything completed", n)
	}
	if st := r.s.Stats(); st.Limit != 0 || st.Shed != 0 || st.InFlight != 1000 {
		t.Fatalf("Stats = %+v; want Limit 0, Shed 0, InFlight 1000", st)
	}
}

func TestLowCPUAdmitsEverything(t *testing.T) {
	r := newRig(t)
	r.traffic(10, 100, 20*time.Millisecond) // limit 20
	r.cpu = 0.79
	if n := r.fill(Normal, 1000); n != 1000 {
		t.Fatalf("admitted %d of 1000 calls at CPU 0.79", n)
	}
	if st := r.s.Stats(); st.Limit != 20 || st.Shed != 0 || st.Shedding {
		t.Fatalf("Stats = %+v; want Limit 20, nothing shed", st)
	}
}

// The limit is maxPass × bucketsPerSecond × minRT: 100 calls per 100 ms
// bucket at 20 ms each hold 20 in flight.
func TestHighCPUShedsBeyondLimitThenRecoversAfterCoolOff(t *testing.T) {
	r := newRig(t)
	r.traffic(10, 100, 20*time.Millisecond)
	if st := r.s.Stats(); st.MaxPass != 100 || st.MinRT != 20*time.Millisecond || st.Limit != 20 {
		t.Fatalf("Stats = %+v; want MaxPass 100, MinRT 20ms, Limit 20", st)
	}

	r.cpu = 0.9
	if n := r.fill(Normal, 1000); n != 20 {
		t.Fatalf("admitted %d at CPU 0.9; want the limit, 20", n)
	}
	if st := r.s.Stats(); !st.Shedding || st.Shed != 1 || st.InFlight != 20 {
		t.Fatalf("Stats = %+v; want Shedding, Shed 1, InFlight 20", st)
	}

	// The CPU reading drops, the backlog is still there: within the
	// cool-off calls beyond the limit are still shed.
	r.cpu = 0.3
	r.now += 500 * time.Millisecond
	if _, ok := r.s.Allow(Normal); ok {
		t.Fatal("admitted a 21st call 500ms after a shed, within the cool-off")
	}
	r.release(5)
	if n := r.fill(Normal, 1000); n != 5 {
		t.Fatalf("admitted %d within the cool-off with 15 in flight; want 5 up to the limit", n)
	}

	// Sheds at low CPU do not extend the cool-off: 1 s after the last shed
	// at high CPU everything is admitted again.
	r.now += 500*time.Millisecond + 1
	if n := r.fill(Normal, 100); n != 100 {
		t.Fatalf("admitted %d of 100 after the cool-off", n)
	}
	if st := r.s.Stats(); st.Shedding {
		t.Fatalf("Stats = %+v; still Shedding after the cool-off", st)
	}
}

func TestPriorities(t *testing.T) {
	for _, tc := range []struct {
		p    Priority
		want int // admitted at high CPU, limit 20
	}{
		{Low, 15},
		{Normal, 20},
		{Critical, 1000},
	} {
		t.Run(tc.p.String(), func(t *testing.T) {
			r := newRig(t)
			r.traffic(10, 100, 20*time.Millisecond)
			r.cpu = 1
			if n := r.fill(tc.p, 1000); n != tc.want {
				t.Fatalf("admitted %d %s calls; want %d", n, tc.p, tc.want)
			}
		})
	}
}

// Critical calls count in flight: behind them Low and Normal calls are shed.
func TestCriticalCountsInFlight(t *testing.T) {
	r := newRig(t)
	r.traffic(10, 100, 20*time.Millisecond)
	r.cpu = 1
	r.fill(Critical, 18)
	if n := r.fill(Low, 10); n != 0 {
		t.Fatalf("admitted %d Low calls behind 18 Critical ones; want 0 (3/4 of 20 is 15)", n)
	}
	if n := r.fill(Normal, 10); n != 2 {
		t.Fatalf("admitted %d Normal calls behind 18 Critical ones; want 2", n)
	}
}

func TestAdmittedByPriority(t *testing.T) {
	for _, tc := range []struct {
		limit, low, normal int64
	}{
		{0, 1, 1}, {1, 1, 1}, {2, 1, 2}, {3, 2, 3}, {4, 3, 4}, {5, 3, 5}, {20, 15, 20},
		{math.MaxInt64, math.MaxInt64 - math.MaxInt64/4 - 1, math.MaxInt64},
	} {
		if got := admitted(tc.limit, Low); got != tc.low {
			t.Errorf("admitted(%d, Low) = %d; want %d", tc.limit, got, tc.low)
		}
		if got := admitted(tc.limit, Normal); got != tc.normal {
			t.Errorf("admitted(%d, Normal) = %d; want %d", tc.limit, got, tc.normal)
		}
	}
}

// Old buckets roll out of the window: a past burst stops counting once it
// is older than 5 s, and with nothing left the Shedder is cold again.
func TestWindowDecay(t *testing.T) {
	r := newRig(t)
	r.traffic(10, 100, 20*time.Millisecond) // limit 20
	r.traffic(40, 10, 20*time.Millisecond)  // limit 2 alone
	if got := r.s.Stats().Limit; got != 20 {
		t.Fatalf("Limit = %d while part of the burst is in the window; want 20", got)
	}
	r.traffic(10, 10, 20*time.Millisecond)
	if got := r.s.Stats().Limit; got != 2 {
		t.Fatalf("Limit = %d once the burst left the window; want 2", got)
	}
	r.cpu = 1
	if n := r.fill(Normal, 100); n != 2 {
		t.Fatalf("admitted %d at high CPU; want 2", n)
	}
	r.release(2)

	r.now += 5 * time.Second
	if st := r.s.Stats(); st.Limit != 0 || st.MaxPass != 0 {
		t.Fatalf("Stats = %+v 5 s after the last call; want an empty window", st)
	}
	if n := r.fill(Normal, 100); n != 100 {
		t.Fatalf("admitted %d of 100 with an empty window", n)
	}
}

// Calls completing in the current bucket count from the next one on.
func TestCurrentBucketIsLeftOut(t *testing.T) {
	r := newRig(t)
	r.traffic(10, 100, 20*time.Millisecond)
	r.traffic(1, 1000, 20*time.Millisecond)
	r.now -= width // back into the bucket of the 1000
	if got := r.s.Stats().Limit; got != 20 {
		t.Fatalf("Limit = %d during the busy bucket; want 20", got)
	}
	r.now += width
	if got := r.s.Stats().Limit; got != 200 {
		t.Fatalf("Limit = %d after the busy bucket; want 200", got)
	}
}

func TestWindowOption(t *testing.T) {
	r := newRig(t, WithWindow(time.Second, 10), WithCPUThreshold(0.5), WithCoolOff(0))
	r.traffic(10, 100, 20*time.Millisecond) // width 100 ms as well
	r.traffic(1, 10, 20*time.Millisecond)
	if got := r.s.Stats().Limit; got != 20 {
		t.Fatalf("Limit = %d; want 20 from the last 0.9 s", got)
	}
	r.cpu = 0.5
	if n := r.fill(Normal, 100); n != 20 {
		t.Fatalf("admitted %d at the threshold 0.5; want 20", n)
	}
	r.cpu = 0.4
	if n := r.fill(Normal, 100); n != 100 {
		t.Fatalf("admitted %d under the threshold without a cool-off; want 100", n)
	}
}

func TestDoneIgnoresAShedToken(t *testing.T) {
	r := newRig(t)
	r.traffic(10, 100, 20*time.Millisecond)
	r.cpu = 1
	r.fill(Normal, 100)
	tok, ok := r.s.Allow(Normal)
	if ok {
		t.Fatal("admitted beyond the limit")
	}
	r.s.Done(tok)
	if got := r.s.Stats().InFlight; got != 20 {
		t.Fatalf("InFlight = %d after Done of a shed call; want 20", got)
	}
}

func TestLittlesLaw(t *testing.T) {
	for _, tc := range []struct {
		maxPass int64
		minRT   time.Duration
		want    int64
	}{
		{100, 20 * time.Millisecond, 20},
		{3, 50 * time.Millisecond, 2}, // 1.5
		{1, time.Nanosecond, 1},
		{1000, 0, 0},
		{math.MaxInt64 / 2, time.Second, math.MaxInt64},
	} {
		if got := littlesLaw(tc.maxPass, tc.minRT, width); got != tc.want {
			t.Errorf("littlesLaw(%d, %v, %v) = %d; want %d", tc.maxPass, tc.minRT, width, got, tc.want)
		}
	}
}

// Many goroutines on the real clock: every admitted call is done, every
// other one was counted as shed, and nothing stays in flight.
func TestConcurrentCalls(t *testing.T) {
	var cpu atomic.Uint64
	s := New(func() float64 { return math.Float64frombits(cpu.Load()) }, WithWindow(50*time.Millisecond, 5))
	const goroutines, calls = 8, 5000
	var admittedCalls atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range calls {
				if i%500 == 0 {
					cpu.Store(math.Float64bits(float64((g+i/500)%2) * 0.95))
				}
				p := Priority(i%3 - 1)
				tok, ok := s.Allow(p)
				if !ok {
					continue
				}
				admittedCalls.Add(1)
				if i%7 == 0 {
					_ = s.Stats()
				}
				s.Done(tok)
			}
		})
	}
	wg.Wait()
	st := s.Stats()
	if st.InFlight != 0 {
		t.Fatalf("InFlight = %d after every call is done", st.InFlight)
	}
	if got := uint64(admittedCalls.Load()) + st.Shed; got != goroutines*calls {
		t.Fatalf("admitted + shed = %d; want %d", got, goroutines*calls)
	}
}

func TestPriorityString(t *testing.T) {
	for p, want := range map[Priority]string{Low: "low", Normal: "normal", Critical: "critical"} {
		if p.String() != want {
			t.Errorf("%d.String() = %q; want %q", p, p.String(), want)
		}
	}
}

// Calls completing twice as slow as the best the window saw are overload
// too, at any CPU reading: a process whose CPU its neighbours take, or
// that queues on a resource, sheds beyond the limit; as fast as ever, it
// does not, however many are in flight.
func TestSlowCallsAreOverloadAtLowCPU(t *testing.T) {
	r := newRig(t)
	r.traffic(20, 20, 10*time.Millisecond) // limit ⌈200/s × 10ms⌉ = 2
	// as fast as ever: more than the limit in flight is no overload
	if n := r.fill(Normal, 10); n != 10 {
		t.Fatalf("%d admitted at the usual latency; want all 10", n)
	}
	r.now += 10 * time.Millisecond
	r.release(10) // they took 10 ms, as ever
	r.now += width
	// one bucket whose calls took 30 ms: beyond the limit is shed
	r.traffic(1, 20, 30*time.Millisecond)
	if st := r.s.Stats(); st.RecentRT != 30*time.Millisecond || st.MinRT != 10*time.Millisecond {
		t.Fatalf("stats %+v", st)
	}
	if n := r.fill(Normal, 10); n != 2 {
		t.Fatalf("%d admitted while calls are 3x slower; want the limit, 2", n)
	}
	r.release(2)
	// without the latency test, only the CPU decides
	r2 := newRig(t, WithLatencyFactor(0))
	r2.traffic(20, 20, 10*time.Millisecond)
	r2.traffic(1, 20, 30*time.Millisecond)
	if n := r2.fill(Normal, 10); n != 10 {
		t.Fatalf("latency factor 0: %d admitted; want all 10", n)
	}
	r2.release(10)
}

func TestForgetRecordsNothing(t *testing.T) {
	r := newRig(t)
	tok, ok := r.s.Allow(Normal)
	if !ok {
		t.Fatal("refused at cold start")
	}
	r.now += time.Hour
	r.s.Forget(tok)
	r.s.Forget(Token{}) // a refused call's token: ignored
	r.now += width
	if st := r.s.Stats(); st.InFlight != 0 || st.MaxPass != 0 || st.MinRT != 0 {
		t.Fatalf("after Forget: %+v; want nothing in flight and nothing recorded", st)
	}
}

// With the queue watched: while work waits longer than the target for a
// CPU, only a shrinking share of calls is admitted (Low the square of it,
// Critical all); once the wait is back under it, the share grows back.
func TestQueueDelayCutsTheAdmittedShare(t *testing.T) {
	var wait time.Duration
	r := newRig(t, WithQueueDelay(func() time.Duration { return wait }, 10*time.Millisecond))
	r.traffic(20, 20, time.Millisecond) // minRT 1ms: the target stays 10ms
	share := func() float64 { return r.s.Stats().Admitted }
	admittedOf := func(p Priority, n int) int {
		ok := 0
		for range n {
			if tok, yes := r.s.Allow(p); yes {
				r.s.Done(tok)
				ok++
			}
		}
		return ok
	}
	if n := admittedOf(Normal, 1000); n != 1000 || share() != 1 {
		t.Fatalf("no queue: %d of 1000 admitted, share %v", n, share())
	}
	wait = 500 * time.Millisecond // a backlog
	for range 5 {
		r.now += queueEvery
		admittedOf(Normal, 1)
	}
	if s := share(); math.Abs(s-math.Pow(queueCut, 5)) > 1e-9 {
		t.Fatalf("after 5 readings over the target the share is %v; want %v", s, math.Pow(queueCut, 5))
	}
	s := share()
	normal, low, critical := admittedOf(Normal, 10000), admittedOf(Low, 10000), admittedOf(Critical, 100)
	if math.Abs(float64(normal)/10000-s) > 0.03 || math.Abs(float64(low)/10000-s*s) > 0.03 || critical != 100 {
		t.Fatalf("share %.3f: normal %d, low %d of 10000, critical %d of 100", s, normal, low, critical)
	}
	if !r.s.Stats().Shedding || r.s.Stats().QueueDelay != wait {
		t.Fatalf("stats %+v", r.s.Stats())
	}
	wait = time.Millisecond
	for range 10 {
		r.now += queueEvery
		admittedOf(Normal, 1)
	}
	if share() != 1 {
		t.Fatalf("after 10 readings under the target the share is %v; want 1", share())
	}
}

// With the backlog watched, a call is refused at once while the work
// waiting for a CPU is over an eighth of the queue target at high CPU, a
// quarter of it at low CPU (half that again for Low calls; Critical calls never),
// the backlog read at most once per backlogEvery.
func TestBacklogRefusesAtOnce(t *testing.T) {
	var backlog time.Duration
	reads := 0
	r := newRig(t, WithQueueDelay(func() time.Duration { return 0 }, 16*time.Millisecond),
		WithBacklog(func() time.Duration { reads++; return backlog }))
	try := func(p Priority) bool {
		r.now += backlogEvery
		tok, ok := r.s.Allow(p)
		r.s.Done(tok)
		return ok
	}
	for _, c := range []struct {
		cpu                   float64
		backlog               time.Duration
		low, normal, critical bool
	}{
		{1, 0, true, true, true},
		{1, time.Millisecond, true, true, true},
		{1, 1500 * time.Microsecond, false, true, true}, // over 16 ms / 16
		{1, 2 * time.Millisecond, false, true, true},    // not over 16 ms / 8
		{1, 2001 * time.Microsecond, false, false, true},
		{1, time.Second, false, false, true},
		{0.5, 2 * time.Millisecond, true, true, true}, // a burst at low CPU: up to 16 ms / 4
		{0.5, 3 * time.Millisecond, false, true, true},
		{0.5, 5 * time.Millisecond, false, false, true},
	} {
		r.cpu, backlog = c.cpu, c.backlog
		if low, normal, critical := try(Low), try(Normal), try(Critical); low != c.low || normal != c.normal || critical != c.critical {
			t.Fatalf("CPU %v, backlog %v: admitted low %t, normal %t, critical %t; want %t, %t, %t", c.cpu, c.backlog, low, normal, critical, c.low, c.normal, c.critical)
		}
	}
	reads = 0
	backlog = time.Second
	for range 100 {
		r.now += backlogEvery / 10
		r.s.Allow(Normal)
	}
	if reads != 10 {
		t.Fatalf("%d backlog reads over 10 × backlogEvery; want 10", reads)
	}
}

// The backlog a call may join is never less than the fastest calls take:
// a service whose handlers take 10 ms is not refused at high CPU because
// one call is queued (an eighth of the 10 ms target would be 1.25 ms).
func TestBacklogFloorIsTheFastestCall(t *testing.T) {
	var backlog time.Duration
	r := newRig(t, WithQueueDelay(func() time.Duration { return 0 }, 10*time.Millisecond),
		WithBacklog(func() time.Duration { return backlog }))
	r.traffic(20, 5, 10*time.Millisecond) // minRT 10 ms
	r.cpu = 1
	try := func(b time.Duration) bool {
		backlog = b
		r.now += backlogEvery
		tok, ok := r.s.Allow(Normal)
		if ok {
			r.s.Done(tok)
		}
		return ok
	}
	if !try(9 * time.Millisecond) {
		t.Fatal("refused with 9 ms queued; the fastest call takes 10 ms")
	}
	if try(11 * time.Millisecond) {
		t.Fatal("admitted with 11 ms queued")
	}
}
