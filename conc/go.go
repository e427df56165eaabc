package conc

import (
	"context"
	stderrors "errors"
	"fmt"
	"log/slog"

	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/report"
)

// Go runs fn in a goroutine of its own and returns at once: fire and forget.
//
// fn gets a context with ctx's values — the request's logger attributes
// (log.WithAttrs, the request id), its trace span, its metadata — but not
// its cancellation nor its deadline (context.WithoutCancel): the task
// outlives the request that started it, which usually answers before the
// task ends. Bound it with WithTimeout; without one it runs until fn
// returns.
//
// A panic in fn is recovered: it ends the goroutine, never the process. A
// panic or an error fn returns is logged at error level with ctx (so with
// the request's attributes and trace id), the panic with its stack, and
// submitted as a report.KindGoroutine report named by WithName to the
// Submitter of WithReporter, else to report.FromContext(ctx), else to
// nobody. A gox error whose code the Dispatcher does not report (a 4xx) is
// still logged.
//
// The returned channel receives fn's error (nil on success; a panic as an
// error wrapping a *recovery.PanicError) and is then closed; nobody has to
// read it.
func Go(ctx context.Context, fn func(ctx context.Context) error, opts ...Option) <-chan error {
	o := newOptions(opts)
	name := o.name
	if name == "" {
		name = "conc.Go"
	}
	s := o.reporter
	if s == nil {
		s = report.FromContext(ctx)
	}
	if fn == nil {
		fn = func(context.Context) error { return fmt.Errorf("conc: Go %s: fn is nil", name) }
	}
	return report.Go(context.WithoutCancel(ctx), s, name, func(ctx context.Context) error {
		ctx, cancel := bounded(ctx, o.timeout)
		defer cancel()
		err := call(ctx, fn)
		if err != nil {
			logFailure(ctx, o.log(), "goroutine", name, err)
		}
		return err
	})
}

// logFailure logs err, a panic with its stack.
func logFailure(ctx context.Context, l *slog.Logger, what, name string, err error) {
	if p, ok := stderrors.AsType[*recovery.PanicError](err); ok {
		l.ErrorContext(ctx, what+" panicked", "name", name, "panic", fmt.Sprint(p.Value), "stack", p.Stack)
		return
	}
	l.ErrorContext(ctx, what+" failed", "name", name, "error", err.Error())
}
