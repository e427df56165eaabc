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
