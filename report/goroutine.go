package report

import (
	"context"

	"github.com/goxkit/gox/middleware/recovery"
)

// Go runs fn in a goroutine of its own and reports, as KindGoroutine with
// operation name, the panic it recovers or the error it returns (when its
// code is one the dispatcher reports: a plain error is a 500). A panic
// ends the goroutine, not the process. The returned channel receives fn's
// error — a panic as an error wrapping a *recovery.PanicError — and is
// then closed; nobody has to read it. A nil s reports nothing.
//
// Go is the reporting primitive: fn gets ctx as is, cancellation included,
// and nothing is logged. Applications start background work with conc.Go,
// which is built on it: it detaches the task from the request's
// cancellation, bounds it with a timeout, logs a failure with the request's
// attributes and finds the Submitter in the context (NewContext).
func Go(ctx context.Context, s Submitter, name string, fn func(ctx context.Context) error) <-chan error {
	done := make(chan error, 1)
	go func() {
		defer close(done)
		err := run(ctx, fn)
		if err != nil && !off(s) {
			s.Submit(ctx, &Report{Kind: KindGoroutine, Operation: name, Err: err})
		}
		done <- err
	}()
	return done
}

// run calls fn, turning a panic into an error.
func run(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = recovery.ErrPanic.WithCause(recovery.NewPanicError(v))
		}
	}()
	return fn(ctx)
}

type submitterKey struct{}

// NewContext returns ctx carrying s, the Submitter that the goroutines
// started with ctx (conc.Go, conc.Scheduler) report their failures to when
// they are given none explicitly. Put it in the context the App runs with,
// or in each request's context by a middleware, so that code deep in a
// handler starts a reported goroutine without being handed the Dispatcher.
func NewContext(ctx context.Context, s Submitter) context.Context {
	return context.WithValue(ctx, submitterKey{}, s)
}

// FromContext returns the Submitter NewContext stored in ctx, or nil.
func FromContext(ctx context.Context) Submitter {
	s, _ := ctx.Value(submitterKey{}).(Submitter)
	return s
}
