// Package timeout bounds how long a request may take. The deadline is set on
// the context, so it reaches every downstream call made with it: gRPC sends it
// as grpc-timeout, the database driver and the HTTP client honour it. A handler
// that returns context.DeadlineExceeded is answered with a 504.
package timeout

import (
	"context"
	"time"

	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// Timeout gives each request at most d, counted from when the request arrived
// (transport.StartTime) on a server, from the call on a client. A deadline
// already on the context (sent by the caller over gRPC, say) is kept when it
// is sooner. d <= 0 disables it.
func Timeout(d time.Duration) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		if d <= 0 {
			return next
		}
		return func(ctx context.Context, req any) (any, error) {
			var start time.Time
			if _, client := transport.FromClientContext(ctx); client {
				start = time.Now()
			} else if tr, ok := transport.FromServerContext(ctx); ok {
				start = transport.StartTime(tr) // no second clock read per request
			} else {
				start = time.Now()
			}
			deadline := start.Add(d)
			if dl, ok := ctx.Deadline(); ok && !dl.After(deadline) {
				return next(ctx, req)
			}
			lc := &lazyDeadline{Context: ctx, deadline: deadline}
			defer lc.release()
			return next(lc, req)
		}
	}
}
