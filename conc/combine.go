package conc

import (
	"context"
	stderrors "errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// All calls every fn at once, each in a goroutine, waits for all of them
// and returns their results and their errors in the order of fns: results[i]
// and errs[i] are fns[i]'s. One failing does not stop the others; a panic
// is fns[i]'s error. Use it for a fixed set of independent calls whose
// every outcome matters (the page's three widgets); use Map for the same
// call over many items.
func All[T any](ctx context.Context, fns ...func(ctx context.Context) (T, error)) (results []T, errs []error) {
	results, errs = make([]T, len(fns)), make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		if fn == nil {
			errs[i] = fmt.Errorf("conc: All: fns[%d] is nil", i)
			continue
		}
		wg.Go(func() { results[i], errs[i] = call1(ctx, fn) })
	}
	wg.Wait()
	return results, errs
}

// First calls every fn at once and returns the first success, canceling
// the others' context. It returns as soon as one succeeds: the others run
// on in the background until they see their context done, and their
// results are discarded, so they must honour it. When all fail it returns
// their errors joined in the order of fns; with no fns, an error saying so.
// Use it for redundant calls — replicas, mirrors, hedged requests.
func First[T any](ctx context.Context, fns ...func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	if len(fns) == 0 {
		return zero, stderrors.New("conc: First: no functions")
	}
	ctx, cancel := context.WithCancel(ctx)
	type result struct {
		i   int
		v   T
		err error
	}
	out := make(chan result, len(fns)) // the losers never block
	for i, fn := range fns {
		if fn == nil {
			out <- result{i, zero, fmt.Errorf("conc: First: fns[%d] is nil", i)}
			continue
		}
		go func() {
			v, err := call1(ctx, fn)
			out <- result{i, v, err}
		}()
	}
	errs := make([]error, len(fns))
	for range fns {
		r := <-out
		if r.err == nil {
			cancel()
			return r.v, nil
		}
		errs[r.i] = r.err
	}
	cancel()
	return zero, stderrors.Join(errs...)
}

// Waterfall calls the steps one after another, each with the result of the
// one before (the first with init), and returns the last one's result. It
// stops at the first error, returning the result so far and the error,
// which names the step ("conc: waterfall step 2: ..."); it also stops,
// before the next step, when ctx is done. Use it for a pipeline whose stages
// each need the previous stage's output.
func Waterfall[T any](ctx context.Context, init T, steps ...func(ctx context.Context, in T) (T, error)) (T, error) {
	v := init
	for i, step := range steps {
		if err := ctx.Err(); err != nil {
			return v, fmt.Errorf("conc: waterfall step %d not started: %w", i, err)
		}
		if step == nil {
			return v, fmt.Errorf("conc: waterfall step %d is nil", i)
		}
		next, err := call1(ctx, func(ctx context.Context) (T, error) { return step(ctx, v) })
		if err != nil {
			return v, fmt.Errorf("conc: waterfall step %d: %w", i, err)
		}
		v = next
	}
	return v, nil
}

// Map calls fn on every item, at most n at a time (n <= 0: GOMAXPROCS),
// and returns the results in the order of items. It runs min(n,
// len(items)) goroutines, not one per item. At the first error it cancels
// fn's context and starts no further item; it returns the results of the
// items that succeeded (the zero value for the others) and the errors of
// the items that failed, joined in item order, each naming its item
// ("conc: Map item 3: ..."). An error that is only the cancellation after
// another item's failure is left out.
func Map[T, R any](ctx context.Context, items []T, n int, fn func(ctx context.Context, item T) (R, error)) ([]R, error) {
	if fn == nil {
		return nil, stderrors.New("conc: Map: fn is nil")
	}
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	n = min(n, len(items))
	results := make([]R, len(items))
	errs := make([]error, len(items))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next, ran atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(items) || ctx.Err() != nil {
					return
				}
				ran.Add(1)
				v, err := call1(ctx, func(ctx context.Context) (R, error) { return fn(ctx, items[i]) })
				if err == nil {
					results[i] = v
					continue
				}
				if !failed.CompareAndSwap(false, true) && isContextErr(err) {
					continue // the cancellation another item's failure caused
				}
				cancel(err)
				errs[i] = fmt.Errorf("conc: Map item %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	if err := stderrors.Join(errs...); err != nil {
		return results, err
	}
	if left := len(items) - int(ran.Load()); left > 0 {
		return results, fmt.Errorf("conc: Map: %d of %d items not run: %w", left, len(items), context.Cause(ctx))
	}
	return results, nil
}

func isContextErr(err error) bool {
	return stderrors.Is(err, context.Canceled) || stderrors.Is(err, context.DeadlineExceeded)
}
