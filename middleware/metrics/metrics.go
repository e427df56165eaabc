// Package metrics records every request in the shared gox series (see the core
// metrics package): a count by kind, operation and code, a latency histogram
// and an in-flight gauge. The Recorder comes from contrib/prometheus or any
// other implementation.
package metrics

import (
	"context"
	"strconv"
	"time"

	gm "github.com/goxkit/gox/metrics"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// Server records requests handled by a server.
func Server(r gm.Recorder) middleware.Middleware { return record(r, transport.FromServerContext) }

// Client records outgoing calls.
func Client(r gm.Recorder) middleware.Middleware { return record(r, transport.FromClientContext) }

func record(r gm.Recorder, from func(context.Context) (transport.Transporter, bool)) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := from(ctx)
			if !ok {
				return next(ctx, req)
			}
			kind := string(tr.Kind())
			r.InFlight(kind, 1)
			start := transport.StartTime(tr)
			reply, err := next(ctx, req)
			r.InFlight(kind, -1)
			r.Observe(kind, tr.Operation(), CodeString(transport.Code(tr, err)), time.Since(start).Seconds())
			return reply, err
		}
	}
}

var common = func() map[int]string {
	m := map[int]string{}
	for _, c := range []int{200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 429, 499, 500, 501, 503, 504} {
		m[c] = strconv.Itoa(c)
	}
	return m
}()

// CodeString formats a code label without allocating for common codes.
func CodeString(code int) string {
	if s, ok := common[code]; ok {
		return s
	}
	return strconv.Itoa(code)
}
