// Package timeout bounds how long a request may take. The deadline is set on
// the context, so it reaches every downstream call made with it: gRPC sends it
// as grpc-timeout, the database driver and the HTTP client honour it. A handler
// that returns context.DeadlineExceeded is answered with a 504.
package timeout

import (
	"context"
	"time"

	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// HeaderTimeout, "X-Gox-Timeout", carries an HTTP caller's remaining time to
// the callee, as a Go duration ("850ms"): what gRPC's grpc-timeout does for
// gRPC. The gox HTTP client sends it whenever the call's context has a deadline; Timeout on the
// server applies it when it is sooner than its own bound.
const HeaderTimeout = transportx.HeaderTimeout

var timeoutKey = transportx.NewKey(HeaderTimeout)

// Timeout gives each request at most d, counted from when the request arrived
// (as the transport recorded it) on a server, from the call on a client. A deadline
// already on the context (sent by the caller over gRPC, say) is kept when it
// is sooner, and so is an HTTP caller's HeaderTimeout. d <= 0 disables it.
func Timeout(d time.Duration) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		if d <= 0 {
			return next
		}
		return func(ctx context.Context, req any) (any, error) {
			var deadline time.Time
			if _, client := transport.FromClientContext(ctx); client {
				deadline = time.Now().Add(d)
			} else if tr, ok := transport.FromServerContext(ctx); ok {
				start := transportx.StartTime(tr) // no second clock read per request
				deadline = start.Add(d)
				if tr.Kind() == transport.KindHTTP {
					// the gox HTTP client sends the caller's remaining time
					if v := transportx.GetKey(tr.RequestHeader(), timeoutKey); v != "" {
						if cd, err := time.ParseDuration(v); err == nil && cd > 0 && cd < d {
							deadline = start.Add(cd)
						}
					}
				}
			} else {
				deadline = time.Now().Add(d)
			}
			if dl, ok := ctx.Deadline(); ok && !dl.After(deadline) {
				return next(ctx, req)
			}
			lc := &lazyDeadline{Context: ctx, deadline: deadline}
			defer lc.release()
			return next(lc, req)
		}
	}
}
