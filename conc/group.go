package conc

import (
	"context"
	stderrors "errors"
	"slices"
	"sync"
	"sync/atomic"
)

// ErrGroupDone is returned by Group.Go called after Wait returned.
var ErrGroupDone = stderrors.New("conc: Group.Go after Wait returned")

// Group runs functions in goroutines, at most a limit of them at once, and
// collects every error, in the order the functions were submitted. Unlike
// errgroup.Group, which keeps the first error, Wait returns them all
// joined; with WithCancelOnError it also cancels the rest at the first
// error, as errgroup.WithContext does. A panicking function does not crash
// the process: it fails with an error wrapping a *recovery.PanicError that
// carries the panic's stack.
//
// A Group is used once: NewGroup, any number of Go, Wait. It is safe for
// concurrent use, with errgroup's one rule: a Go that is not called from
// one of the group's functions must happen before Wait is called (Go after
// Wait returned is ErrGroupDone, never a panic).
type Group struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	o      options
	sem    chan struct{}
	wg     sync.WaitGroup
	seq    atomic.Int64
	done   atomic.Bool
	mu     sync.Mutex // guards errs, err
	errs   []seqErr
	waited bool
	err    error // Wait's result
}

type seqErr struct {
	seq int
	err error
}

// NewGroup returns a Group whose functions get a context derived from ctx,
// canceled when Wait returns (and at the first error with
// WithCancelOnError). It reads WithLimit, WithCancelOnError and
// WithTimeout (each function's own bound).
func NewGroup(ctx context.Context, opts ...Option) *Group {
	g := &Group{o: newOptions(opts)}
	g.ctx, g.cancel = context.WithCancelCause(ctx)
	if g.o.limit > 0 {
		g.sem = make(chan struct{}, g.o.limit)
	}
	return g
}

// Context returns the context the group's functions get.
func (g *Group) Context() context.Context { return g.ctx }

// Go runs fn in a goroutine once a slot is free (WithLimit), blocking the
// caller until then. It returns ErrGroupDone after Wait returned, and the
// group context's cause, not running fn, when that context is done before
// fn could start (the first error with WithCancelOnError, or ctx canceled).
// A nil fn fails with an error, like any failing function.
func (g *Group) Go(fn func(ctx context.Context) error) error {
	if g.done.Load() {
		return ErrGroupDone
	}
	seq := int(g.seq.Add(1) - 1)
	g.wg.Add(1) // counted before the slot is awaited, so Wait waits for it
	slot := false
	if g.sem != nil {
		select {
		case g.sem <- struct{}{}:
			slot = true
		default:
			select {
			case g.sem <- struct{}{}:
				slot = true
			case <-g.ctx.Done():
			}
		}
	}
	if g.ctx.Err() != nil {
		if slot {
			<-g.sem
		}
		g.finish(seq, nil)
		return context.Cause(g.ctx)
	}
	go func() {
		err := g.run(fn)
		if g.sem != nil {
			<-g.sem
		}
		g.finish(seq, err)
	}()
	return nil
}

func (g *Group) run(fn func(ctx context.Context) error) error {
	if fn == nil {
		return stderrors.New("conc: Group.Go: fn is nil")
	}
	ctx, cancel := bounded(g.ctx, g.o.timeout)
	defer cancel()
	return call(ctx, fn)
}

// finish records the error of function seq and counts it done.
func (g *Group) finish(seq int, err error) {
	if err != nil {
		g.mu.Lock()
		if g.o.cancelOnError && len(g.errs) == 0 {
			g.cancel(err)
		}
		g.errs = append(g.errs, seqErr{seq, err})
		g.mu.Unlock()
	}
	g.wg.Done()
}

// Wait waits until every function submitted has returned, including those
// the group's functions submit while it waits, cancels the group's context, and returns their
// errors joined (errors.Join) in submission order, nil if none failed.
// Later calls return the same. Go after Wait returned fails with
// ErrGroupDone.
func (g *Group) Wait() error {
	g.wg.Wait()
	g.done.Store(true)
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.waited {
		g.waited = true
		g.cancel(context.Canceled)
		slices.SortFunc(g.errs, func(a, b seqErr) int { return a.seq - b.seq })
		out := make([]error, len(g.errs))
		for i, e := range g.errs {
			out[i] = e.err
		}
		g.err = stderrors.Join(out...)
		g.errs = nil
	}
	return g.err
}
