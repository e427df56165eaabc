// Package recovery turns a panic in a handler into an Internal error and logs
// the panic with its stack, so one bad request never takes the process down.
package recovery

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
)

// ErrPanic is the error a recovered panic becomes; the panic value is its cause.
var ErrPanic = errors.Internal(errors.ReasonPanic, "internal server error")

// Recovery recovers panics in the handlers after it and logs them to logger
// (slog.Default() when nil).
func Recovery(logger *slog.Logger) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (reply any, err error) {
			defer func() {
				if r := recover(); r != nil {
					l := logger
					if l == nil {
						l = slog.Default()
					}
					buf := make([]byte, 64<<10)
					buf = buf[:runtime.Stack(buf, false)]
					l.ErrorContext(ctx, "panic recovered", "panic", fmt.Sprint(r), "stack", string(buf))
					reply, err = nil, ErrPanic.WithCause(fmt.Errorf("panic: %v", r))
				}
			}()
			return next(ctx, req)
		}
	}
}
