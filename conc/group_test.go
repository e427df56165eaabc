package conc_test

import (
	"context"
	stderrors "errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/goxkit/gox/conc"
	"github.com/goxkit/gox/middleware/recovery"
)

// Wait returns every error, in the order the functions were submitted, not
// the order they failed in.
func TestGroupJoinsErrorsInSubmissionOrder(t *testing.T) {
	g := conc.NewGroup(context.Background())
	done := make([]chan struct{}, 7)
	for i := range done {
		done[i] = make(chan struct{})
	}
	close(done[6])
	for i := 1; i <= 5; i++ { // job i ends after job i+1: the reverse of submission
		must(t, g.Go(func(context.Context) error {
			<-done[i+1]
			defer close(done[i])
			if i%2 == 1 {
				return fmt.Errorf("job %d failed", i)
			}
			return nil
		}))
	}
	err := g.Wait()
	if err == nil || err.Error() != "job 1 failed\njob 3 failed\njob 5 failed" {
		t.Fatalf("Wait: %v", err)
	}
}

// No more than the limit run at once, and every function runs.
func TestGroupLimit(t *testing.T) {
	g := conc.NewGroup(context.Background(), conc.WithLimit(3))
	var running, peak, ran atomic.Int64
	for range 50 {
		must(t, g.Go(func(context.Context) error {
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			ran.Add(1)
			running.Add(-1)
			return nil
		}))
	}
	must(t, g.Wait())
	if peak.Load() > 3 || ran.Load() != 50 {
		t.Fatalf("peak %d, ran %d", peak.Load(), ran.Load())
	}
}

// With WithCancelOnError the first error cancels the running functions'
// context, and Go no longer starts functions: it returns the cause.
func TestGroupCancelOnError(t *testing.T) {
	g := conc.NewGroup(context.Background(), conc.WithLimit(2), conc.WithCancelOnError())
	boom := stderrors.New("boom")
	sawCancel := make(chan error, 1)
	started := make(chan struct{})
	must(t, g.Go(func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		sawCancel <- context.Cause(ctx)
		return ctx.Err()
	}))
	<-started
	must(t, g.Go(func(context.Context) error { return boom }))
	<-g.Context().Done()
	var ran atomic.Bool
	if err := g.Go(func(context.Context) error { ran.Store(true); return nil }); !stderrors.Is(err, boom) {
		t.Fatalf("Go after the failure: %v", err)
	}
	err := g.Wait()
	if !stderrors.Is(err, boom) || !stderrors.Is(err, context.Canceled) || ran.Load() {
		t.Fatalf("Wait %v, ran %v", err, ran.Load())
	}
	if c := <-sawCancel; c != boom {
		t.Fatalf("cause %v", c)
	}
}

// A panicking function fails with an error carrying the panic's stack; the
// process and the other functions go on.
func TestGroupPanicBecomesAnError(t *testing.T) {
	g := conc.NewGroup(context.Background())
	var ok atomic.Bool
	must(t, g.Go(func(context.Context) error { panicsInGroup(); return nil }))
	must(t, g.Go(func(context.Context) error { ok.Store(true); return nil }))
	err := g.Wait()
	p, isPanic := stderrors.AsType[*recovery.PanicError](err)
	if !isPanic || !stderrors.Is(err, recovery.ErrPanic) || !ok.Load() {
		t.Fatalf("Wait %v", err)
	}
	if !strings.Contains(strings.SplitN(p.Stack, "\n", 3)[1], "conc_test.panicsInGroup") {
		t.Fatalf("stack does not start at the panic site:\n%s", p.Stack)
	}
}

func panicsInGroup() { panic("index out of range in a job") }

// Go after Wait returned is ErrGroupDone; Go from a running function
// before Wait returns is waited for; Wait twice gives the same answer.
func TestGroupGoAfterWait(t *testing.T) {
	g := conc.NewGroup(context.Background())
	var inner atomic.Bool
	must(t, g.Go(func(context.Context) error {
		return g.Go(func(context.Context) error { inner.Store(true); return stderrors.New("inner") })
	}))
	err := g.Wait()
	if !inner.Load() || err == nil || err.Error() != "inner" {
		t.Fatalf("Wait %v, inner ran %v", err, inner.Load())
	}
	if err := g.Go(func(context.Context) error { return nil }); !stderrors.Is(err, conc.ErrGroupDone) {
		t.Fatalf("Go after Wait: %v", err)
	}
	if again := g.Wait(); again == nil || again.Error() != "inner" {
		t.Fatalf("second Wait %v", again)
	}
	if g.Context().Err() == nil {
		t.Fatal("the group's context is live after Wait")
	}
	nilFn := conc.NewGroup(context.Background())
	must(t, nilFn.Go(nil))
	if err := nilFn.Wait(); err == nil || !strings.Contains(err.Error(), "nil") {
		t.Fatalf("a nil function: %v", err)
	}
}
