package conc

import (
	"context"
	"time"

	"github.com/goxkit/gox/middleware/recovery"
)

// panicked returns the error a recovered panic v becomes: recovery.ErrPanic
// with the panic (value and stack from the panic site) as its cause.
func panicked(v any) error {
	p := recovery.NewPanicError(v)
	return recovery.ErrPanic.WithMessage("conc: the function panicked: %v", v).WithCause(p)
}

// call runs fn, turning a panic into an error.
func call(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked(v)
		}
	}()
	return fn(ctx)
}

// call1 runs fn, turning a panic into an error.
func call1[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicked(p)
		}
	}()
	return fn(ctx)
}

// bounded returns ctx limited to d, or ctx itself when d <= 0.
func bounded(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}
