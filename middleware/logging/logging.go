// Package logging writes one access-log record per request (message
// "request") or outgoing call (message "call"): kind, operation,
// code, reason, latency and, on failure, the error. The record is logged with
// the request's context, so it carries the request id and trace ids.
package logging

import (
	"context"
	"log/slog"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/log"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// Server logs each request handled by a server.
func Server(logger *slog.Logger) middleware.Middleware {
	return access(logger, "request", transport.FromServerContext)
}

// Client logs each outgoing call.
func Client(logger *slog.Logger) middleware.Middleware {
	return access(logger, "call", transport.FromClientContext)
}

// errPanicked is what a record says of a call whose handler panicked: the
// recovery middleware, further out, turns the panic into a 500.
var errPanicked = errors.Internal(errors.ReasonPanic, "the handler panicked")

func access(logger *slog.Logger, msg string, from func(context.Context) (transport.Transporter, bool)) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (reply any, err error) {
			tr, ok := from(ctx)
			var start time.Time
			if ok {
				start = transportx.StartTime(tr)
			} else {
				start = time.Now()
			}
			// Written on the way out, so that a panic going through to the
			// recovery middleware is logged too, as errPanicked.
			err = errPanicked
			defer func() { write(ctx, logger, msg, tr, ok, start, err) }()
			reply, err = next(ctx, req)
			return reply, err
		}
	}
}

func write(ctx context.Context, logger *slog.Logger, msg string, tr transport.Transporter, ok bool, start time.Time, err error) {
	var kind, op string
	var code int
	if ok {
		kind, op, code = string(tr.Kind()), tr.Operation(), transportx.Code(tr, err)
	} else {
		code = errors.Code(err)
	}
	level, e := slog.LevelInfo, errors.FromError(err)
	if e != nil {
		level = slog.LevelWarn
		if e.Code >= 500 {
			level = slog.LevelError
		}
	}
	// The record is built here, without a caller: every access line would
	// name this file, and finding it costs more than the rest. LogAccess
	// drops it when the level is disabled.
	var end time.Time
	if ok {
		end = transportx.EndTime(tr)
	} else {
		end = time.Now()
	}
	rec := log.Access{Time: end, Level: level, Msg: msg, Kind: kind, Operation: op, Code: code, Latency: end.Sub(start)}
	if e != nil {
		rec.Reason, rec.Error = e.Reason, err.Error()
	}
	log.LogAccess(ctx, logger.Handler(), &rec)
}
