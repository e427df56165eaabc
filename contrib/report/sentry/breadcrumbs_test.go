package sentry_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	sentrygo "github.com/getsentry/sentry-go"

	"github.com/goxkit/gox/contrib/report/sentry"
	"github.com/goxkit/gox/log"
)

func TestEventsCarryTheLastLogRecordsAsBreadcrumbs(t *testing.T) {
	s := newSink(t)
	crumbs := sentry.NewBreadcrumbs()
	var out strings.Builder
	logger := slog.New(crumbs.Handler(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})))
	rep := newReporter(t, s, func(c *sentry.Config) { c.MaxBreadcrumbs = 3 }, sentry.WithBreadcrumbs(crumbs))

	ctx := log.WithAttrs(t.Context(), slog.String("request_id", "req-9"))
	logger.Info("first, pushed out")
	logger.Debug("below the level: not kept")
	logger.With("component", "db").WithGroup("pool").Info("connection lost", "open", 3)
	logger.WarnContext(ctx, "retrying", "attempt", 2)
	logger.ErrorContext(ctx, "giving up", slog.Group("err", slog.String("code", "DB_DOWN")))

	if !strings.Contains(out.String(), "giving up") {
		t.Errorf("the records did not reach the wrapped handler: %q", out.String())
	}
	r, _ := panicReport(t)
	if err := rep.Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	got := s.only().Event.Breadcrumbs
	if len(got) != 3 {
		t.Fatalf("%d breadcrumbs, want the last 3: %+v", len(got), got)
	}
	want := []struct {
		msg   string
		level sentrygo.Level
		data  map[string]any
	}{
		{"connection lost", sentrygo.LevelInfo, map[string]any{"component": "db", "pool.open": float64(3)}},
		{"retrying", sentrygo.LevelWarning, map[string]any{"request_id": "req-9", "attempt": float64(2)}},
		{"giving up", sentrygo.LevelError, map[string]any{"request_id": "req-9", "err.code": "DB_DOWN"}},
	}
	for i, w := range want {
		b := got[i]
		if b.Message != w.msg || b.Level != w.level || b.Category != "log" || b.Timestamp.IsZero() {
			t.Errorf("breadcrumb %d: %q %s %s at %v, want %q %s", i, b.Message, b.Level, b.Category, b.Timestamp, w.msg, w.level)
		}
		if len(b.Data) != len(w.data) {
			t.Errorf("breadcrumb %d data %v, want %v", i, b.Data, w.data)
		}
		for k, v := range w.data {
			if b.Data[k] != v {
				t.Errorf("breadcrumb %d data[%s] = %v, want %v", i, k, b.Data[k], v)
			}
		}
	}
}

func TestBreadcrumbsAreBounded(t *testing.T) {
	s := newSink(t)
	crumbs := sentry.NewBreadcrumbs()
	logger := slog.New(crumbs.Handler(slog.NewTextHandler(io.Discard, nil)))
	rep := newReporter(t, s, func(c *sentry.Config) { c.MaxBreadcrumbs = 100 }, sentry.WithBreadcrumbs(crumbs))

	args := make([]any, 0, 200)
	for i := range 100 {
		args = append(args, slog.Int("k"+strings.Repeat("x", i), i))
	}
	for i := range 150 {
		logger.Info(strings.Repeat("m", 5000), append(args, "i", i, "big", strings.Repeat("v", 5000))...)
	}
	r, _ := panicReport(t)
	if err := rep.Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	got := s.only().Event.Breadcrumbs
	if len(got) != 100 {
		t.Fatalf("%d breadcrumbs, want 100", len(got))
	}
	for _, b := range got {
		if len(b.Message) > 1024 || len(b.Data) > 32 {
			t.Fatalf("breadcrumb of %d bytes with %d attributes, want at most 1024 and 32", len(b.Message), len(b.Data))
		}
	}
}

func TestNoBreadcrumbsWhenNoneAsked(t *testing.T) {
	s := newSink(t)
	crumbs := sentry.NewBreadcrumbs()
	slog.New(crumbs.Handler(slog.NewTextHandler(io.Discard, nil))).Info("kept")
	rep := newReporter(t, s, func(c *sentry.Config) { c.MaxBreadcrumbs = 0 }, sentry.WithBreadcrumbs(crumbs))
	r, _ := panicReport(t)
	if err := rep.Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if got := s.only().Event.Breadcrumbs; len(got) != 0 {
		t.Errorf("%d breadcrumbs with max_breadcrumbs 0", len(got))
	}
}
