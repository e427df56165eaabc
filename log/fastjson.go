package log

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// fastJSON writes flat records (no caller, scalar attributes only, on a
// handler without added attributes or groups) as JSON straight into a pooled
// buffer, byte for byte what zap's JSON encoder with this package's config
// writes (a test holds the two equal). Access records are such records, and
// this path costs a third of zap's generic one. Anything else goes to zap.
type fastJSON struct {
	out   zapcore.WriteSyncer
	level zap.AtomicLevel // the core's
	q     *accessQueue    // set when access records are written in batches
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// write encodes and writes r; false means r needs the zap path.
func (f *fastJSON) write(ctx context.Context, r slog.Record) bool {
	if r.PC != 0 || r.Time.IsZero() {
		return false
	}
	c, ok := contextOf(ctx)
	if !ok {
		return false
	}
	bp := bufPool.Get().(*[]byte)
	b := appendHead((*bp)[:0], r.Level, r.Time, r.Message)
	b = append(b, '"')
	r.Attrs(func(a slog.Attr) bool {
		b, ok = appendScalar(b, a)
		return ok
	})
	if ok {
		b = c.appendTo(b)
		_, _ = f.out.Write(b) // as zap's core: a failed log write does not fail the caller
	}
	putBuf(bp, b)
	return ok
}

// recordContext is what a record takes from its context: the attributes
// (immutable once stored) and the span.
type recordContext struct {
	attrs []slog.Attr
	span  trace.SpanContext
}

// contextOf reads ctx's attributes and span; false when an attribute is not
// a scalar this encoder writes (the zap path handles those).
func contextOf(ctx context.Context) (recordContext, bool) {
	if ctx == nil {
		return recordContext{}, true
	}
	c := recordContext{attrs: Attrs(ctx)}
	for _, a := range c.attrs {
		switch a.Value.Kind() {
		case slog.KindGroup, slog.KindAny, slog.KindLogValuer:
			return c, false
		}
	}
	c.span = trace.SpanContextFromContext(ctx)
	return c, true
}

// appendTo appends the context's fields and closes the record.
func (c *recordContext) appendTo(b []byte) []byte {
	for _, a := range c.attrs {
		b, _ = appendScalar(b, a)
	}
	if c.span.IsValid() {
		b = append(b, `,"trace_id":"`...)
		b = append(b, c.span.TraceID().String()...)
		b = append(b, `","span_id":"`...)
		b = append(b, c.span.SpanID().String()...)
		b = append(b, '"')
	}
	return append(b, "}\n"...)
}

// appendHead writes {"level":..,"ts":..,"msg":"<msg>, leaving the message's
// string open.
func appendHead(b []byte, l slog.Level, t time.Time, msg string) []byte {
	b = append(b, `{"level":"`...)
	b = append(b, zapLevel(l).String()...)
	b = append(b, `","ts":"`...)
	b = appendRFC3339Nano(b, t)
	b = append(b, `","msg":"`...)
	return appendEscaped(b, msg)
}

// putBuf returns a buffer to the pool, unless it grew huge.
func putBuf(bp *[]byte, b []byte) {
	if cap(b) <= 16<<10 {
		*bp = b
		bufPool.Put(bp)
	}
}

// appendScalar appends ,"key":value for the kinds zap encodes without
// reflection; false for any other kind.
func appendScalar(b []byte, a slog.Attr) ([]byte, bool) {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup, slog.KindAny, slog.KindLogValuer:
		return b, false
	}
	b = append(b, ',', '"')
	b = appendEscaped(b, a.Key)
	b = append(b, '"', ':')
	switch v.Kind() {
	case slog.KindString:
		b = append(b, '"')
		b = appendEscaped(b, v.String())
		b = append(b, '"')
	case slog.KindInt64:
		b = strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		b = strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		b = appendFloat(b, v.Float64())
	case slog.KindBool:
		b = strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		b = appendSeconds(b, v.Duration())
	case slog.KindTime:
		b = append(b, '"')
		b = appendRFC3339Nano(b, v.Time())
		b = append(b, '"')
	}
	return b, true
}

func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Inf"`...)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendEscaped escapes s as zap's JSON encoder does: \\ \" \n \r \t, other
// control bytes as \u00XX, invalid UTF-8 as \ufffd, everything else as is.
func appendEscaped(b []byte, s string) []byte {
	if plainString(s) { // nearly always: keys, messages, ids, routes
		return append(b, s...)
	}
	last := 0
	for i := 0; i < len(s); {
		for i+8 <= len(s) && plainWord(s[i:i+8]) {
			i += 8
		}
		for i < len(s) && plain[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			b = append(b, s[last:i]...)
			b = append(b, `\ufffd`...)
			i++
			last = i
			continue
		}
		b = append(b, s[last:i]...)
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		last = i
	}
	return append(b, s[last:]...)
}
