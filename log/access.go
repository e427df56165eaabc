package log

import (
	"context"
	"log/slog"
	"strconv"
	"time"
)

// Access is one access-log record: the logging middleware's, for every
// request and call.
type Access struct {
	Time      time.Time
	Level     slog.Level
	Msg       string // "request" or "call"
	Kind      string
	Operation string
	Code      int
	Latency   time.Duration
	Reason    string // set with Error when the request failed
	Error     string
}

// LogAccess writes a to h when h is enabled for a.Level. gox's JSON handler
// writes it straight into its buffer (or its batch queue) — the same bytes as
// the slog record below, a third of the cost — and any other handler gets
// that slog record.
func LogAccess(ctx context.Context, h slog.Handler, a *Access) {
	if zh, ok := h.(*zapHandler); ok {
		if f := zh.fast; f != nil {
			if !f.level.Enabled(zapLevel(a.Level)) { // the core's level, without its two calls
				return
			}
			if f.writeAccess(ctx, a) {
				return
			}
		} else if !zh.core.Enabled(zapLevel(a.Level)) {
			return
		}
	} else if !h.Enabled(ctx, a.Level) {
		return
	}
	logAccessRecord(ctx, h, a)
}

// logAccessRecord writes a to h as a slog record.
func logAccessRecord(ctx context.Context, h slog.Handler, a *Access) {
	r := slog.NewRecord(a.Time, a.Level, a.Msg, 0)
	r.AddAttrs(
		slog.String("kind", a.Kind),
		slog.String("operation", a.Operation),
		slog.Int("code", a.Code),
		slog.Duration("latency", a.Latency),
	)
	if a.Reason != "" || a.Error != "" {
		r.AddAttrs(slog.String("reason", a.Reason), slog.String("error", a.Error))
	}
	_ = h.Handle(ctx, r) // a logging failure must not fail the request
}

// writeAccess is write for an Access, with the keys known in advance: queued
// for the batch writer when there is one, written here otherwise.
func (f *fastJSON) writeAccess(ctx context.Context, a *Access) bool {
	if a.Time.IsZero() {
		return false
	}
	if f.q != nil && f.q.add(a, ctx) {
		return true
	}
	c, ok := contextOf(ctx)
	if !ok {
		return false
	}
	bp := bufPool.Get().(*[]byte)
	b := appendAccess((*bp)[:0], a, &c)
	_, _ = f.out.Write(b) // as zap's core: a failed log write does not fail the caller
	putBuf(bp, b)
	return true
}

// appendAccess appends a's line.
func appendAccess(b []byte, a *Access, c *recordContext) []byte {
	return appendAccessWith(b, a, c, nil)
}

// accessSegment is the part of an access line between the timestamp and the
// code — `","msg":"request","kind":"http","operation":"GET /ping","code":` —
// which repeats from one record to the next while one route is busy. The
// batch writer keeps the last one, so it escapes the three strings once per
// run of records instead of once per record.
type accessSegment struct {
	msg, kind, op string
	b             []byte
}

// appendAccessWith is appendAccess reusing seg's segment when the record's
// message, kind and operation are seg's, and keeping this record's in seg
// otherwise. seg may be nil; it is not safe for concurrent use.
func appendAccessWith(b []byte, a *Access, c *recordContext, seg *accessSegment) []byte {
	b = appendHead(b, a.Level, a.Time, "")
	switch {
	case seg == nil:
		b = appendSegment(b, a)
	case seg.b != nil && a.Msg == seg.msg && a.Kind == seg.kind && a.Operation == seg.op:
		b = append(b, seg.b...)
	default:
		n := len(b)
		b = appendSegment(b, a)
		seg.msg, seg.kind, seg.op = a.Msg, a.Kind, a.Operation
		seg.b = append(seg.b[:0], b[n:]...)
	}
	b = strconv.AppendInt(b, int64(a.Code), 10)
	b = append(b, `,"latency":`...)
	b = appendSeconds(b, a.Latency)
	if a.Reason != "" || a.Error != "" {
		b = append(b, `,"reason":"`...)
		b = appendEscaped(b, a.Reason)
		b = append(b, `","error":"`...)
		b = appendEscaped(b, a.Error)
		b = append(b, '"')
	}
	return c.appendTo(b)
}

// appendSegment appends a's accessSegment; appendHead left the message's
// string open.
func appendSegment(b []byte, a *Access) []byte {
	b = appendEscaped(b, a.Msg)
	b = append(b, `","kind":"`...)
	b = appendEscaped(b, a.Kind)
	b = append(b, `","operation":"`...)
	b = appendEscaped(b, a.Operation)
	return append(b, `","code":`...)
}
