package log

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// The fast path must write exactly what zap writes for the same record.
func TestFastJSONMatchesZap(t *testing.T) {
	ts := time.Date(2026, 11, 21, 7, 46, 18, 123456789, time.UTC)
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	traced := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}))
	records := []struct {
		name  string
		ctx   context.Context
		level slog.Level
		msg   string
		attrs []slog.Attr
	}{
		{"access", WithAttrs(context.Background(), slog.String("request_id", "abc")), slog.LevelInfo, "request", []slog.Attr{
			slog.String("kind", "http"), slog.String("operation", "GET /users/:id"), slog.Int("code", 200), slog.Duration("latency", 45321*time.Nanosecond)}},
		{"failure", traced, slog.LevelError, "request", []slog.Attr{slog.Int("code", 500), slog.String("reason", "PANIC"),
			slog.String("error", "error: code = 500 message = \"boom\"\n\tat x\\y \x01 \xff é")}},
		{"kinds", nil, slog.LevelWarn, "mixed \"msg\"", []slog.Attr{slog.Bool("ok", true), slog.Uint64("n", math.MaxUint64),
			slog.Float64("nan", math.NaN()), slog.Float64("inf", math.Inf(-1)), slog.Float64("f", 0.1), slog.Time("at", ts), slog.Int64("neg", -7), slog.String("", "empty key")}},
		{"debug", nil, slog.LevelDebug, "", nil},
	}
	for _, rec := range records {
		t.Run(rec.name, func(t *testing.T) {
			var fast, slow bytes.Buffer
			for _, out := range []*bytes.Buffer{&fast, &slow} {
				l, err := NewWriter(Config{Level: "debug", Format: "json"}, true, out)
				if err != nil {
					t.Fatal(err)
				}
				h := l.Handler().(*zapHandler)
				if out == &slow {
					h.fast = nil // force zap's encoder
				}
				r := slog.NewRecord(ts, rec.level, rec.msg, 0)
				r.AddAttrs(rec.attrs...)
				if err := h.Handle(rec.ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if fast.String() != slow.String() {
				t.Fatalf("fast path differs from zap\nfast: %s zap:  %s", fast.String(), slow.String())
			}
		})
	}
}

func TestFastJSONFallsBack(t *testing.T) {
	var buf bytes.Buffer
	l, _ := NewWriter(Config{Format: "json"}, true, &buf)
	h := l.Handler().(*zapHandler)
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "with any", 0)
	r.AddAttrs(slog.Any("err", context.Canceled), slog.Group("g", "k", 1))
	if h.fast.write(context.Background(), r) {
		t.Fatal("fast path took a record with an Any and a group")
	}
	if buf.Len() != 0 {
		t.Fatal("a refused record was partly written")
	}
	_ = h.Handle(context.Background(), r)
	if !bytes.Contains(buf.Bytes(), []byte(`"err":"context canceled","g":{"k":1}`)) {
		t.Fatalf("zap path output: %s", buf.String())
	}
}

// sampleAccess is a request's context (an attribute and a span) and two
// access records, a success and a failure with characters to escape.
func sampleAccess() (context.Context, []Access) {
	ts := time.Date(2026, 11, 21, 7, 46, 18, 123456789, time.UTC)
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := WithAttrs(trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid})),
		slog.String("request_id", "abc"))
	return ctx, []Access{
		{Time: ts, Level: slog.LevelInfo, Msg: "request", Kind: "http", Operation: "GET /users/:id", Code: 200, Latency: 45321 * time.Nanosecond},
		{Time: ts, Level: slog.LevelError, Msg: "call", Kind: "grpc", Operation: "/a.B/C", Code: 500, Latency: 3 * time.Second,
			Reason: "PANIC", Error: "boom \"quoted\"\n\tat x"},
	}
}

// LogAccess's direct path writes the bytes the slog record would.
func TestLogAccessMatchesTheRecordPath(t *testing.T) {
	ctx, recs := sampleAccess()
	for _, a := range recs {
		var direct, record bytes.Buffer
		for _, out := range []*bytes.Buffer{&direct, &record} {
			l, err := NewWriter(Config{Level: "debug", Format: "json"}, true, out)
			if err != nil {
				t.Fatal(err)
			}
			h := l.Handler()
			if out == &record {
				h = struct{ slog.Handler }{h} // hides the type: LogAccess takes the slog path
			}
			LogAccess(ctx, h, &a)
		}
		if direct.String() != record.String() || direct.Len() == 0 {
			t.Fatalf("direct: %s record: %s", direct.String(), record.String())
		}
	}
}

// A record below the handler's level is not written, by gox's handler or any other.
func TestLogAccessBelowTheLevel(t *testing.T) {
	a := Access{Time: time.Now(), Level: slog.LevelInfo, Msg: "request", Operation: "GET /quiet"}
	var zapOut, slogOut bytes.Buffer
	l, err := NewWriter(Config{Level: "warn", Format: "json", AsyncAccess: true}, true, &zapOut)
	if err != nil {
		t.Fatal(err)
	}
	LogAccess(context.Background(), l.Handler(), &a)
	_ = l.Close()
	LogAccess(context.Background(), slog.NewJSONHandler(&slogOut, &slog.HandlerOptions{Level: slog.LevelWarn}), &a)
	if zapOut.Len() != 0 || slogOut.Len() != 0 {
		t.Fatalf("info record written at warn: %q %q", zapOut.String(), slogOut.String())
	}
	a.Level = slog.LevelError
	LogAccess(context.Background(), slog.NewJSONHandler(&slogOut, &slog.HandlerOptions{Level: slog.LevelWarn}), &a)
	if !bytes.Contains(slogOut.Bytes(), []byte("GET /quiet")) {
		t.Fatal("error record not written at warn")
	}
}

// The access path follows the logger's level as it changes.
func TestLogAccessFollowsSetLevel(t *testing.T) {
	var out bytes.Buffer
	l, err := NewWriter(Config{Level: "info", Format: "json"}, true, &out)
	if err != nil {
		t.Fatal(err)
	}
	a := Access{Time: time.Now(), Level: slog.LevelInfo, Msg: "request", Operation: "GET /x"}
	for _, step := range []struct {
		level string
		shown bool
	}{{"error", false}, {"info", true}, {"warn", false}, {"debug", true}} {
		if err := l.SetLevel(step.level); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		LogAccess(context.Background(), l.Handler(), &a)
		if shown := out.Len() > 0; shown != step.shown {
			t.Fatalf("level %s: info record written %v, want %v", step.level, shown, step.shown)
		}
	}
}
