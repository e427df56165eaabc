package redis

import (
	"context"
	"errors"
	"net"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/goxkit/gox/metrics"
)

const kind = "redis"

// hook traces and counts each command and pipeline.
type hook struct {
	rec    metrics.Recorder
	tracer trace.Tracer
	attrs  []attribute.KeyValue
}

func newHook(o options, addrs string) *hook {
	return &hook{rec: o.recorder, tracer: o.tracer.Tracer("github.com/goxkit/gox/contrib/cache/redis"),
		attrs: []attribute.KeyValue{attribute.String("db.system.name", "redis"), attribute.String("server.address", addrs)}}
}

func (h *hook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h *hook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		ctx, done := h.start(ctx, cmd.Name())
		err := next(ctx, cmd)
		done(cmd.Name(), err)
		return err
	}
}

func (h *hook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		ctx, done := h.start(ctx, "pipeline")
		err := next(ctx, cmds)
		if err == nil {
			for _, c := range cmds { // the first failed command fails the pipeline's record
				if cerr := c.Err(); cerr != nil && !errors.Is(cerr, goredis.Nil) {
					err = cerr
					break
				}
			}
		}
		done("pipeline", err)
		return err
	}
}

func (h *hook) start(ctx context.Context, op string) (context.Context, func(string, error)) {
	start := time.Now()
	ctx, span := h.tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient))
	if span.IsRecording() {
		span.SetAttributes(h.attrs...)
		span.SetAttributes(attribute.String("db.operation.name", op))
	}
	if h.rec != nil {
		h.rec.InFlight(kind, 1)
	}
	return ctx, func(op string, err error) {
		if err != nil && !errors.Is(err, goredis.Nil) {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
		if h.rec != nil {
			h.rec.InFlight(kind, -1)
			h.rec.Observe(kind, op, code(err), time.Since(start).Seconds())
		}
	}
}

// code maps a command's outcome onto gox's codes, as HTTP and gRPC calls are.
func code(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "200"
	case errors.Is(err, goredis.Nil):
		return "404"
	case errors.Is(err, context.Canceled):
		return "499"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "504"
	case errors.As(err, &ne):
		return "503"
	}
	return "500"
}
