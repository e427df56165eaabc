// Package recovery turns a panic in a handler into an Internal error and logs
// the panic with its stack, so one bad request never takes the process down.
// The error's cause is a *PanicError holding the panic's value and the stack
// from the panic site, so that an error reporter further out (package
// report) gets where the panic happened.
package recovery

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
)

// ErrPanic is the error a recovered panic becomes; the panic, a *PanicError,
// is its cause.
var ErrPanic = errors.Internal(errors.ReasonPanic, "internal server error")

// PanicError is a recovered panic: its value and the stack of the goroutine
// that panicked.
type PanicError struct {
	Value any
	// Stack is runtime.Stack's text for the panicking goroutine, its first
	// frame the panic site (the frames of the recovery are left out).
	Stack string
}

// NewPanicError returns the PanicError of v, with the stack of the calling
// goroutine. Call it in the deferred function that recovered v.
func NewPanicError(v any) *PanicError {
	buf := make([]byte, 64<<10)
	buf = buf[:runtime.Stack(buf, false)]
	return &PanicError{Value: v, Stack: fromPanicSite(string(buf))}
}

// Error is "panic: " and the value.
func (p *PanicError) Error() string { return fmt.Sprintf("panic: %v", p.Value) }

// Unwrap returns the value when it is an error (panic(err)).
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// fromPanicSite drops the frames above the panic — the deferred function
// that recovered, NewPanicError, runtime.gopanic — from a runtime.Stack
// text, keeping its "goroutine N [running]:" line: the first frame is then
// where the panic happened. A text without a panic frame is returned as is.
func fromPanicSite(s string) string {
	head, rest, ok := strings.Cut(s, "\n")
	if !ok {
		return s
	}
	// Each frame is two lines: the function, then a tab and file:line.
	for i := 0; i < len(rest); {
		if strings.HasPrefix(rest[i:], "panic(") {
			j := strings.Index(rest[i:], "\n\t")
			if j < 0 {
				return s
			}
			k := strings.IndexByte(rest[i+j+2:], '\n')
			if k < 0 {
				return s
			}
			return head + "\n" + rest[i+j+2+k+1:]
		}
		n := strings.IndexByte(rest[i:], '\n')
		if n < 0 {
			break
		}
		i += n + 1
	}
	return s
}

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
					p := NewPanicError(r)
					l.ErrorContext(ctx, "panic recovered", "panic", fmt.Sprint(r), "stack", p.Stack)
					reply, err = nil, ErrPanic.WithCause(p)
				}
			}()
			return next(ctx, req)
		}
	}
}
