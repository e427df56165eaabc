package log

import (
	"context"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// appendContext adds the request's attributes (WithAttrs) and, when a span is
// active, its trace_id and span_id.
func appendContext(fields []zapcore.Field, ctx context.Context) []zapcore.Field {
	for _, a := range Attrs(ctx) {
		fields = appendAttr(fields, a)
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		fields = append(fields, zap.String("trace_id", sc.TraceID().String()), zap.String("span_id", sc.SpanID().String()))
	}
	return fields
}
