package log

import (
	"context"
	"log/slog"
	"runtime"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// zapHandler is a slog.Handler writing to a zapcore.Core. It exists instead
// of zap/exp's zapslog because the access log runs for every request: fields
// come from a pool, the caller is found without allocating, and the
// request's context attributes and trace ids are added in the same pass.
type zapHandler struct {
	core   zapcore.Core
	caller bool
	fast   *fastJSON // set on a JSON handler without added attributes or groups
}

var fieldPool = sync.Pool{New: func() any { s := make([]zapcore.Field, 0, 16); return &s }}

func (h *zapHandler) Enabled(_ context.Context, l slog.Level) bool {
	return h.core.Enabled(zapLevel(l))
}

func (h *zapHandler) Handle(ctx context.Context, r slog.Record) error {
	ent := zapcore.Entry{Level: zapLevel(r.Level), Time: r.Time, Message: r.Message}
	if h.caller && r.PC != 0 {
		if fn := runtime.FuncForPC(r.PC - 1); fn != nil {
			file, line := fn.FileLine(r.PC - 1)
			ent.Caller = zapcore.EntryCaller{Defined: true, PC: r.PC, File: file, Line: line, Function: fn.Name()}
		}
	}
	if h.fast != nil && r.PC == 0 {
		if !h.core.Enabled(ent.Level) {
			return nil
		}
		if h.fast.write(ctx, r) {
			return nil
		}
	}
	ce := h.core.Check(ent, nil)
	if ce == nil {
		return nil
	}
	fp := fieldPool.Get().(*[]zapcore.Field)
	fields := (*fp)[:0]
	r.Attrs(func(a slog.Attr) bool {
		fields = appendAttr(fields, a)
		return true
	})
	if ctx != nil {
		fields = appendContext(fields, ctx)
	}
	ce.Write(fields...)
	clear(fields) // drop references before pooling
	*fp = fields[:0]
	fieldPool.Put(fp)
	return nil
}

func (h *zapHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	fields := make([]zapcore.Field, 0, len(attrs))
	for _, a := range attrs {
		fields = appendAttr(fields, a)
	}
	return &zapHandler{core: h.core.With(fields), caller: h.caller}
}

// WithGroup nests every later attribute under name, as slog specifies.
func (h *zapHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &zapHandler{core: h.core.With([]zapcore.Field{zap.Namespace(name)}), caller: h.caller}
}

func appendAttr(fields []zapcore.Field, a slog.Attr) []zapcore.Field {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return append(fields, zap.String(a.Key, v.String()))
	case slog.KindInt64:
		return append(fields, zap.Int64(a.Key, v.Int64()))
	case slog.KindUint64:
		return append(fields, zap.Uint64(a.Key, v.Uint64()))
	case slog.KindFloat64:
		return append(fields, zap.Float64(a.Key, v.Float64()))
	case slog.KindBool:
		return append(fields, zap.Bool(a.Key, v.Bool()))
	case slog.KindDuration:
		return append(fields, zap.Duration(a.Key, v.Duration()))
	case slog.KindTime:
		return append(fields, zap.Time(a.Key, v.Time()))
	case slog.KindGroup:
		attrs := v.Group()
		switch {
		case len(attrs) == 0:
			return fields
		case a.Key == "": // slog inlines a group without a key
			for _, ga := range attrs {
				fields = appendAttr(fields, ga)
			}
			return fields
		}
		return append(fields, zap.Object(a.Key, group(attrs)))
	}
	if a.Key == "" && v.Any() == nil {
		return fields
	}
	if err, ok := v.Any().(error); ok {
		return append(fields, zap.NamedError(a.Key, err))
	}
	return append(fields, zap.Any(a.Key, v.Any()))
}

// group marshals a slog group as a nested JSON object.
type group []slog.Attr

func (g group) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	for _, a := range g {
		for _, f := range appendAttr(nil, a) {
			f.AddTo(enc)
		}
	}
	return nil
}

func zapLevel(l slog.Level) zapcore.Level {
	switch {
	case l >= slog.LevelError:
		return zapcore.ErrorLevel
	case l >= slog.LevelWarn:
		return zapcore.WarnLevel
	case l >= slog.LevelInfo:
		return zapcore.InfoLevel
	}
	return zapcore.DebugLevel
}
