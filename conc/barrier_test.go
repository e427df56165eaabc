package conc_test

import (
	"context"
	stderrors "errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/goxkit/gox/conc"
)

func newBarrier(t *testing.T, n int, action func(context.Context) error) *conc.CyclicBarrier {
	t.Helper()
	b, err := conc.NewCyclicBarrier(n, action)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitFor yields until n parties wait at b.
func waitFor(b *conc.CyclicBarrier, n int) {
	for b.Waiting() != n {
		runtime.Gosched()
	}
}

// Parties proceed in lock-step over several generations: nobody starts
// phase p+1 before everyone finished phase p, and the action runs once per
// generation, after the phase's work.
func TestBarrierPhasesInLockStep(t *testing.T) {
	const parties, phases = 4, 5
	var work [phases]atomic.Int64
	var actions atomic.Int64
	b := newBarrier(t, parties, func(context.Context) error {
		p := actions.Add(1) - 1
		if got := work[p].Load(); got != parties {
			return stderrors.New("the action ran before the phase's work was done")
		}
		return nil
	})
	var wg sync.WaitGroup
	errs := make(chan error, parties*phases)
	for range parties {
		wg.Go(func() {
			for p := range phases {
				if p > 0 && work[p-1].Load() != parties {
					errs <- stderrors.New("a party started a phase early")
				}
				work[p].Add(1)
				if err := b.Await(context.Background()); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if actions.Load() != phases {
		t.Fatalf("the action ran %d times over %d phases", actions.Load(), phases)
	}
}

// A waiter whose ctx is canceled breaks the barrier: it gets its ctx's
// error, the others ErrBrokenBarrier, and so does any later Await until
// Reset, after which the barrier works again.
func TestBarrierBrokenByACanceledWaiter(t *testing.T) {
	b := newBarrier(t, 3, nil)
	other := make(chan error)
	go func() { other <- b.Await(context.Background()) }()
	waitFor(b, 1)
	ctx, cancel := context.WithCancel(context.Background())
	mine := make(chan error)
	go func() { mine <- b.Await(ctx) }()
	waitFor(b, 2)
	cancel()
	if err := <-mine; !stderrors.Is(err, context.Canceled) {
		t.Fatalf("the canceled waiter got %v", err)
	}
	if err := <-other; !stderrors.Is(err, conc.ErrBrokenBarrier) || !stderrors.Is(err, context.Canceled) {
		t.Fatalf("the other waiter got %v", err)
	}
	if err := b.Await(context.Background()); !stderrors.Is(err, conc.ErrBrokenBarrier) || !b.Broken() {
		t.Fatalf("Await on a broken barrier: %v", err)
	}
	b.Reset()
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := b.Await(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// Reset while parties wait releases them with ErrBrokenBarrier.
func TestBarrierResetReleasesWaiters(t *testing.T) {
	b := newBarrier(t, 2, nil)
	got := make(chan error)
	go func() { got <- b.Await(context.Background()) }()
	waitFor(b, 1)
	b.Reset()
	if err := <-got; !stderrors.Is(err, conc.ErrBrokenBarrier) {
		t.Fatalf("waiter got %v", err)
	}
	if b.Broken() {
		t.Fatal("broken after Reset")
	}
}

// A failing or panicking action breaks the generation: every party gets
// ErrBrokenBarrier wrapping the action's error.
func TestBarrierFailingAction(t *testing.T) {
	boom := stderrors.New("merge failed")
	for name, action := range map[string]func(context.Context) error{
		"error": func(context.Context) error { return boom },
		"panic": func(context.Context) error { panic(boom) },
	} {
		t.Run(name, func(t *testing.T) {
			b := newBarrier(t, 2, action)
			got := make(chan error, 2)
			for range 2 {
				go func() { got <- b.Await(context.Background()) }()
			}
			for range 2 {
				if err := <-got; !stderrors.Is(err, conc.ErrBrokenBarrier) || !stderrors.Is(err, boom) {
					t.Fatalf("party got %v", err)
				}
			}
		})
	}
}

func TestBarrierBadParties(t *testing.T) {
	if _, err := conc.NewCyclicBarrier(0, nil); err == nil {
		t.Fatal("0 parties accepted")
	}
	b := newBarrier(t, 1, nil)
	if err := b.Await(context.Background()); err != nil || b.Parties() != 1 {
		t.Fatalf("a barrier of one: %v", err)
	}
}
