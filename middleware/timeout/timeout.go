// Package timeout bounds how long a request may take. The deadline is set on
// the context, so it reaches every downstream call made with it: gRPC sends it
// as grpc-timeout, the database driver and the HTTP client honour it. A handler
// that returns context.DeadlineExceeded is answered with a 504.
package timeout

import (
	"context"
	"time"

	"github.com/goxkit/gox/middleware"
)

// Timeout gives each request at most d. A deadline already on the context
// (sent by the caller over gRPC, say) is kept when it is sooner. d <= 0 disables it.
func Timeout(d time.Duration) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		if d <= 0 {
			return next
		}
		return func(ctx context.Context, req any) (any, error) {
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
				return next(ctx, req)
			}
			lc := &lazyDeadline{Context: ctx, deadline: time.Now().Add(d)}
			defer lc.release()
			return next(lc, req)
		}
	}
}
