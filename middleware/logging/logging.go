// Package logging writes one access-log record per request: kind, operation,
// code, reason, latency and, on failure, the error. The record is logged with
// the request's context, so it carries the request id and trace ids.
package logging

import (
	"context"
	"log/slog"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// Server logs each request handled by a server.
func Server(logger *slog.Logger) middleware.Middleware {
	return access(logger, "server", transport.FromServerContext)
}

// Client logs each outgoing call.
func Client(logger *slog.Logger) middleware.Middleware {
	return access(logger, "client", transport.FromClientContext)
}

func access(logger *slog.Logger, side string, from func(context.Context) (transport.Transporter, bool)) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			start := time.Now()
			reply, err := next(ctx, req)
			var kind, op string
			if tr, ok := from(ctx); ok {
				kind, op = string(tr.Kind()), tr.Operation()
			}
			level := slog.LevelInfo
			attrs := []slog.Attr{
				slog.String("side", side),
				slog.String("kind", kind),
				slog.String("operation", op),
				slog.Int("code", errors.Code(err)),
				slog.Duration("latency", time.Since(start)),
			}
			if err != nil {
				e := errors.FromError(err)
				if e.Code >= 500 {
					level = slog.LevelError
				} else {
					level = slog.LevelWarn
				}
				attrs = append(attrs, slog.String("reason", e.Reason), slog.String("error", err.Error()))
			}
			logger.LogAttrs(ctx, level, "access", attrs...)
			return reply, err
		}
	}
}
