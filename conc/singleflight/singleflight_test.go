package singleflight_test

import (
	"context"
	stderrors "errors"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/goxkit/gox/conc/singleflight"
	"github.com/goxkit/gox/middleware/recovery"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Concurrent calls for one key share one run of the function and all get
// its typed result: while a run is in flight, no other run of the key
// starts (a caller arriving after it ended may start the next one, so the
// count of runs is not asserted, the overlap is).
func TestDoSharesOneCall(t *testing.T) {
	var g singleflight.Group[int, []string]
	var calls, overlaps atomic.Int64
	var inFlight atomic.Bool
	started, release := make(chan struct{}), make(chan struct{})
	fn := func(context.Context) ([]string, error) {
		if !inFlight.CompareAndSwap(false, true) {
			overlaps.Add(1) // a second run while one is in flight: not shared
		}
		if calls.Add(1) == 1 {
			close(started)
			<-release
		}
		inFlight.Store(false)
		return []string{"a", "b"}, nil
	}
	results := make([][]string, 10)
	var shared atomic.Int64
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			if i > 0 {
				<-started // the first run is in flight: these callers must join it
			}
			v, sh, err := g.Do(context.Background(), 7, fn)
			if err != nil {
				t.Error(err)
			}
			if sh {
				shared.Add(1)
			}
			results[i] = v
		})
	}
	<-started
	close(release)
	wg.Wait()
	if overlaps.Load() != 0 {
		t.Fatalf("%d runs started while one was in flight for the same key", overlaps.Load())
	}
	if calls.Load() < 1 || (calls.Load() > 1 && shared.Load() == 0) {
		t.Fatalf("%d runs, %d shared results", calls.Load(), shared.Load())
	}
	for _, r := range results {
		if len(r) != 2 || r[1] != "b" {
			t.Fatalf("result %v", r)
		}
	}
}

// A caller whose ctx is done returns at once; the function runs on, its
// ctx not canceled, and the other callers get its result.
func TestDoCallerGivesUp(t *testing.T) {
	var g singleflight.Group[string, int]
	started, release := make(chan struct{}), make(chan struct{})
	fnSaw := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	starter := make(chan error)
	go func() { // starts the flight, then gives up
		_, _, err := g.Do(ctx, "k", func(fctx context.Context) (int, error) {
			close(started)
			<-release
			fnSaw <- fctx.Err()
			return 42, nil
		})
		starter <- err
	}()
	<-started
	cancel()
	if err := <-starter; !stderrors.Is(err, context.Canceled) {
		t.Fatalf("the caller that gave up got %v", err)
	}
	close(release)
	if err := <-fnSaw; err != nil {
		t.Fatalf("the function saw its starter's cancellation: %v", err)
	}

	// A caller that joins a flight and gives up does not fail its starter.
	started, release = make(chan struct{}), make(chan struct{})
	owner := make(chan int)
	go func() {
		v, _, _ := g.Do(context.Background(), "j", func(context.Context) (int, error) { close(started); <-release; return 7, nil })
		owner <- v
	}()
	<-started
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, _, err := g.Do(ctx, "j", func(context.Context) (int, error) { return 0, stderrors.New("a second flight") }); !stderrors.Is(err, context.Canceled) {
		t.Fatalf("the joined caller got %v", err)
	}
	close(release)
	if v := <-owner; v != 7 {
		t.Fatalf("the starter got %d", v)
	}
}

// A panic is every caller's error, not a crash.
func TestDoPanic(t *testing.T) {
	var g singleflight.Group[struct{ A, B string }, error]
	_, _, err := g.Do(context.Background(), struct{ A, B string }{"x", "y"}, func(context.Context) (error, error) { panic("loader bug") })
	if !stderrors.Is(err, recovery.ErrPanic) {
		t.Fatalf("err %v", err)
	}
	v, _, err := g.Do(context.Background(), struct{ A, B string }{"x", "y"}, func(context.Context) (error, error) { return nil, nil })
	if v != nil || err != nil {
		t.Fatalf("a nil interface value: %v %v", v, err)
	}
}

// Forget starts a new flight for the next caller.
func TestForget(t *testing.T) {
	var g singleflight.Group[string, int]
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan int)
	go func() {
		v, _, _ := g.Do(context.Background(), "k", func(context.Context) (int, error) { close(started); <-release; return 1, nil })
		done <- v
	}()
	<-started
	g.Forget("k")
	v, shared, err := g.Do(context.Background(), "k", func(context.Context) (int, error) { return 2, nil })
	if v != 2 || shared || err != nil {
		t.Fatalf("after Forget: %d %v %v", v, shared, err)
	}
	close(release)
	if <-done != 1 {
		t.Fatal("the first flight's result")
	}
}
