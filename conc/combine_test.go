package conc_test

import (
	"context"
	stderrors "errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/goxkit/gox/conc"
	"github.com/goxkit/gox/middleware/recovery"
)

// All returns each result and each error at its function's index, whatever
// order they finish in; a panic is its function's error.
func TestAllKeepsOrder(t *testing.T) {
	gate := make(chan struct{})
	results, errs := conc.All(context.Background(),
		func(context.Context) (string, error) { <-gate; return "profile", nil },
		func(context.Context) (string, error) { return "", stderrors.New("orders down") },
		func(context.Context) (string, error) { defer close(gate); panic("bad widget") },
		func(context.Context) (string, error) { return "cart", nil },
		nil,
	)
	if results[0] != "profile" || results[3] != "cart" || results[1] != "" {
		t.Fatalf("results %q", results)
	}
	if errs[0] != nil || errs[3] != nil || errs[1] == nil || errs[1].Error() != "orders down" ||
		!stderrors.Is(errs[2], recovery.ErrPanic) || errs[4] == nil {
		t.Fatalf("errs %v", errs)
	}
}

// First returns the first success and cancels the others; when all fail it
// returns all their errors in order.
func TestFirst(t *testing.T) {
	canceled := make(chan struct{})
	v, err := conc.First(context.Background(),
		func(ctx context.Context) (string, error) { <-ctx.Done(); close(canceled); return "", ctx.Err() },
		func(context.Context) (string, error) { return "", stderrors.New("replica b down") },
		func(context.Context) (string, error) { return "from c", nil },
	)
	if v != "from c" || err != nil {
		t.Fatalf("First %q %v", v, err)
	}
	<-canceled // the slow one was told to stop

	_, err = conc.First(context.Background(),
		func(context.Context) (int, error) { return 0, stderrors.New("a down") },
		func(context.Context) (int, error) { panic("b bug") },
		func(context.Context) (int, error) { return 0, stderrors.New("c down") },
	)
	if err == nil || !strings.HasPrefix(err.Error(), "a down\n") || !strings.HasSuffix(err.Error(), "\nc down") ||
		!stderrors.Is(err, recovery.ErrPanic) {
		t.Fatalf("all failed: %v", err)
	}
	if _, err := conc.First[int](context.Background()); err == nil {
		t.Fatal("no functions: no error")
	}
}

// Waterfall feeds each result to the next step and stops at the first
// error, naming the step; steps after it do not run.
func TestWaterfall(t *testing.T) {
	double := func(_ context.Context, n int) (int, error) { return n * 2, nil }
	v, err := conc.Waterfall(context.Background(), 1, double, double, double)
	if v != 8 || err != nil {
		t.Fatalf("Waterfall %d %v", v, err)
	}
	var after atomic.Bool
	v, err = conc.Waterfall(context.Background(), 1, double,
		func(context.Context, int) (int, error) { return 0, stderrors.New("quota") },
		func(_ context.Context, n int) (int, error) { after.Store(true); return n, nil })
	if v != 2 || err == nil || err.Error() != "conc: waterfall step 1: quota" || after.Load() {
		t.Fatalf("Waterfall %d %v, ran after the error: %v", v, err, after.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := conc.Waterfall(ctx, 1, double); !stderrors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	if _, err := conc.Waterfall(context.Background(), 1, double, func(context.Context, int) (int, error) { panic("step bug") }); !stderrors.Is(err, recovery.ErrPanic) {
		t.Fatalf("panic: %v", err)
	}
}

// Map keeps the order of items, runs at most n at once, and stops at the
// first error, reporting the item that failed and not the cancellations it
// caused.
func TestMap(t *testing.T) {
	items := make([]int, 1000)
	for i := range items {
		items[i] = i
	}
	var running, peak atomic.Int64
	got, err := conc.Map(context.Background(), items, 4, func(_ context.Context, n int) (string, error) {
		r := running.Add(1)
		for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
		}
		defer running.Add(-1)
		return strconv.Itoa(n), nil
	})
	if err != nil || len(got) != 1000 || peak.Load() > 4 {
		t.Fatalf("err %v, %d results, peak %d", err, len(got), peak.Load())
	}
	for i, s := range got {
		if s != strconv.Itoa(i) {
			t.Fatalf("result %d is %q", i, s)
		}
	}

	var calls atomic.Int64
	_, err = conc.Map(context.Background(), items, 4, func(ctx context.Context, n int) (int, error) {
		calls.Add(1)
		if n == 10 {
			return 0, fmt.Errorf("item %d is corrupt", n)
		}
		if n > 10 && n < 14 {
			<-ctx.Done() // running when 10 fails
			return 0, ctx.Err()
		}
		return n, nil
	})
	if err == nil || err.Error() != "conc: Map item 10: item 10 is corrupt" {
		t.Fatalf("Map: %v", err)
	}
	if calls.Load() > 20 {
		t.Fatalf("%d items called after the failure", calls.Load())
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := conc.Map(ctx, items, 2, func(context.Context, int) (int, error) { return 0, nil }); !stderrors.Is(err, context.Canceled) ||
		!strings.Contains(err.Error(), "1000 of 1000 items not run") {
		t.Fatalf("canceled: %v", err)
	}
	if _, err := conc.Map(context.Background(), items, 2, func(context.Context, int) (int, error) { panic("map bug") }); !stderrors.Is(err, recovery.ErrPanic) {
		t.Fatalf("panic: %v", err)
	}
	if r, err := conc.Map(context.Background(), []int(nil), 0, func(context.Context, int) (int, error) { return 0, nil }); err != nil || len(r) != 0 {
		t.Fatalf("no items: %v %v", r, err)
	}
}
