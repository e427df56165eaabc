package sentry_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	sentrygo "github.com/getsentry/sentry-go"

	"github.com/goxkit/gox/contrib/report/sentry"
	goxerrors "github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/report"
)

const (
	traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	spanID  = "00f067aa0ba902b7"
)

// panicsAt panics, noting the line it panics on.
func panicsAt(line *int) {
	_, _, l, _ := runtime.Caller(0)
	*line = l + 2
	panic("boom: nil map")
}

// recovered is what gox's recovery middleware does with a panic: the
// error it answers with wraps a PanicError holding the panic site's stack.
func recovered() (line int, err error) {
	defer func() { err = recovery.ErrPanic.WithCause(recovery.NewPanicError(recover())) }()
	panicsAt(&line)
	return 0, nil
}

func panicReport(t *testing.T) (*report.Report, int) {
	t.Helper()
	line, err := recovered()
	return &report.Report{
		Time:      time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC),
		Kind:      report.KindHTTP,
		Operation: "GET /v1/users/:id",
		Err:       err,
		Code:      500,
		Reason:    goxerrors.ReasonPanic,
		Message:   "internal server error",
		Panic:     true,
		RequestID: "req-7", TraceID: traceID, SpanID: spanID,
		Service: "users", Version: "1.4.2", Environment: "staging",
		HTTP: &report.HTTP{
			Method: "GET", Path: "/v1/users/7", Query: "expand=teams",
			Header: http.Header{
				"Authorization": {"[redacted]"},
				"Cookie":        {"session=s3cr3t"}, // not redacted by whoever built the report
				"User-Agent":    {"curl/8.5"},
			},
		},
		Tags:        map[string]string{"route": "users"},
		Attachments: []report.Attachment{{Name: "cpu.pprof", ContentType: "application/octet-stream", Data: []byte("pprof\x00bytes")}},
	}, line
}

func TestReportSendsOneEventWithWhatTheReportKnows(t *testing.T) {
	s := newSink(t)
	rep := newReporter(t, s, nil)
	r, line := panicReport(t)

	if err := rep.Report(t.Context(), r); err != nil {
		t.Fatalf("Report: %v", err)
	}
	env := s.only()
	ev := env.Event
	if env.Path != "/api/42/envelope/" || !strings.Contains(env.Auth, "sentry_key=publickey") {
		t.Errorf("posted to %s with auth %q, want the DSN's project and key", env.Path, env.Auth)
	}
	if ev.Message != "internal server error" || ev.Level != sentrygo.LevelError {
		t.Errorf("message %q level %q", ev.Message, ev.Level)
	}
	if ev.Environment != "staging" || ev.Release != "users@1.4.2" || ev.Transaction != "GET /v1/users/:id" {
		t.Errorf("environment %q release %q transaction %q", ev.Environment, ev.Release, ev.Transaction)
	}
	if !ev.Timestamp.Equal(r.Time) {
		t.Errorf("timestamp %v, want the report's %v", ev.Timestamp, r.Time)
	}
	wantTags := map[string]string{
		"kind": "http", "operation": "GET /v1/users/:id", "code": "500", "reason": goxerrors.ReasonPanic,
		"service": "users", "version": "1.4.2", "request_id": "req-7", "panic": "true", "route": "users",
	}
	for k, v := range wantTags {
		if ev.Tags[k] != v {
			t.Errorf("tag %s = %q, want %q", k, ev.Tags[k], v)
		}
	}
	trace := ev.Contexts["trace"]
	if trace["trace_id"] != traceID || trace["span_id"] != spanID {
		t.Errorf("trace context %v, want trace %s span %s", trace, traceID, spanID)
	}

	// the exception: the panic, unhandled, its innermost frame the panic site
	if len(ev.Exception) != 1 {
		t.Fatalf("%d exceptions, want 1", len(ev.Exception))
	}
	exc := ev.Exception[0]
	if exc.Value != "panic: boom: nil map" || exc.Mechanism == nil || exc.Mechanism.Handled == nil || *exc.Mechanism.Handled {
		t.Errorf("exception %q mechanism %+v, want the panic's value, unhandled", exc.Value, exc.Mechanism)
	}
	if exc.Stacktrace == nil || len(exc.Stacktrace.Frames) < 2 {
		t.Fatalf("stacktrace %+v, want the panic's frames", exc.Stacktrace)
	}
	top := exc.Stacktrace.Frames[len(exc.Stacktrace.Frames)-1]
	if top.Function != "panicsAt" || top.Lineno != line || !strings.HasSuffix(top.AbsPath, "sentry_test.go") {
		t.Errorf("innermost frame %s %s:%d, want panicsAt sentry_test.go:%d", top.Function, top.AbsPath, top.Lineno, line)
	}
	if next := exc.Stacktrace.Frames[len(exc.Stacktrace.Frames)-2]; next.Function != "recovered" {
		t.Errorf("the panic site's caller is %s, want recovered", next.Function)
	}
	for _, f := range exc.Stacktrace.Frames {
		if strings.Contains(f.Module, "middleware/recovery") || f.Module == "runtime" {
			t.Errorf("frame %s.%s of the recovery or the runtime is reported", f.Module, f.Function)
		}
	}

	// the request, its secrets redacted
	req := ev.Request
	if req == nil || req.Method != "GET" || req.URL != "/v1/users/7" || req.QueryString != "expand=teams" {
		t.Fatalf("request %+v", req)
	}
	if req.Headers["Authorization"] != "[redacted]" || req.Headers["Cookie"] != "[redacted]" || req.Headers["User-Agent"] != "curl/8.5" {
		t.Errorf("headers %v, want Authorization and Cookie redacted, User-Agent kept", req.Headers)
	}

	if len(env.Attachments) != 1 || env.Attachments[0].Filename != "cpu.pprof" || string(env.Attachments[0].Payload) != "pprof\x00bytes" {
		t.Errorf("attachments %+v, want cpu.pprof with its bytes", env.Attachments)
	}
	wantFP := []string{"http", "GET /v1/users/:id", goxerrors.ReasonPanic}
	if len(ev.Fingerprint) != 4 || strings.Join(ev.Fingerprint[:3], "|") != strings.Join(wantFP, "|") || !strings.HasSuffix(ev.Fingerprint[3], ".panicsAt") {
		t.Errorf("fingerprint %q, want %q and the panic site", ev.Fingerprint, wantFP)
	}
}

func TestConfigEnvironmentAndReleaseWin(t *testing.T) {
	s := newSink(t)
	rep := newReporter(t, s, func(c *sentry.Config) {
		c.Environment, c.Release, c.ServerName = "production", "users@abc123", "node-1"
	})
	r, _ := panicReport(t)
	if err := rep.Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	ev := s.only().Event
	if ev.Environment != "production" || ev.Release != "users@abc123" || ev.ServerName != "node-1" {
		t.Errorf("environment %q release %q server %q, want the config's", ev.Environment, ev.Release, ev.ServerName)
	}
}

// makeErr makes a gox error, which records where it was made.
func makeErr() error { return goxerrors.Internal("DB_DOWN", "the database is not answering") }

func TestErrorReportCarriesWhereTheErrorWasMade(t *testing.T) {
	s := newSink(t)
	rep := newReporter(t, s, nil)
	err := makeErr()
	r := &report.Report{
		Kind: report.KindQueue, Operation: "orders.created", Err: err,
		Code: goxerrors.Code(err), Reason: goxerrors.Reason(err), Message: "the database is not answering",
		TraceID: "not-a-trace-id", Tags: map[string]string{"attempt": "5"},
	}
	if err := rep.Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	env := s.only()
	ev := env.Event
	if h := fmt.Sprint(env.Header); strings.Contains(h, "release") {
		t.Errorf("envelope header %s names a release", h)
	}
	exc := ev.Exception[0]
	if exc.Value != "the database is not answering" {
		t.Errorf("exception value %q, want the gox error's message", exc.Value)
	}
	if exc.Type != "DB_DOWN" || exc.Mechanism == nil || exc.Mechanism.Handled == nil || !*exc.Mechanism.Handled {
		t.Errorf("exception type %q mechanism %+v, want DB_DOWN handled", exc.Type, exc.Mechanism)
	}
	if exc.Stacktrace == nil || exc.Stacktrace.Frames[len(exc.Stacktrace.Frames)-1].Function != "makeErr" {
		t.Errorf("stacktrace %+v, want makeErr innermost", exc.Stacktrace)
	}
	if _, ok := ev.Contexts["trace"]; ok {
		t.Errorf("trace context %v from a malformed trace id", ev.Contexts["trace"])
	}
	if ev.Contexts["gox"]["trace_id"] != "not-a-trace-id" || ev.Tags["attempt"] != "5" || ev.Request != nil {
		t.Errorf("gox context %v tags %v request %v", ev.Contexts["gox"], ev.Tags, ev.Request)
	}
	if ev.Release != "" {
		t.Errorf("release %q, want none: neither the config nor the report has one", ev.Release)
	}
}

func TestSampling(t *testing.T) {
	const n = 20
	for _, tc := range []struct {
		name string
		rate float64
		rand func() func() float64
		want int
	}{
		{"0 sends none", 0, nil, 0},
		{"1 sends all", 1, nil, n},
		{"0.5 sends those drawn below it", 0.5, func() func() float64 {
			i := 0
			return func() float64 { i++; return float64(i%4) / 4 } // .25 .5 .75 0 ...: half below .5
		}, n / 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(t)
			var warned strings.Builder
			opts := []sentry.Option{sentry.WithLogger(slog.New(slog.NewTextHandler(&warned, nil)))}
			if tc.rand != nil {
				opts = append(opts, sentry.WithRand(tc.rand()))
			}
			rep := newReporter(t, s, func(c *sentry.Config) { c.SampleRate = tc.rate }, opts...)
			for range n {
				r, _ := panicReport(t)
				if err := rep.Report(t.Context(), r); err != nil {
					t.Fatal(err)
				}
			}
			if got := len(s.received()); got != tc.want {
				t.Errorf("Sentry received %d of %d events, want %d", got, n, tc.want)
			}
			if w := strings.Contains(warned.String(), "sentry.sample_rate is 0"); w != (tc.rate == 0) {
				t.Errorf("warned %v (%q), want a warning only for a rate of 0", w, warned.String())
			}
		})
	}
}

func TestSentryDownIsAnErrorAtOnce(t *testing.T) {
	s := newSink(t)
	dsn := s.dsn("publickey")
	s.srv.Close() // nothing listens there now
	c := sentry.DefaultConfig()
	c.DSN, c.Timeout = dsn, time.Minute
	rep, err := sentry.New(c)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rep.Close(context.Background()) }()
	r, _ := panicReport(t)
	err = rep.Report(t.Context(), r)
	if err == nil || !strings.Contains(err.Error(), "not delivered") {
		t.Fatalf("Report to a Sentry that is down: %v, want not delivered", err)
	}
}

func TestSlowSentryGivesUpAfterTimeout(t *testing.T) {
	s := newSink(t)
	s.hold = make(chan struct{}) // Sentry never answers
	rep := newReporter(t, s, func(c *sentry.Config) { c.Timeout = 200 * time.Millisecond })
	r, _ := panicReport(t)
	start := time.Now()
	err := rep.Report(t.Context(), r)
	if took := time.Since(start); err == nil || took > 5*time.Second {
		t.Fatalf("Report to a Sentry that does not answer: %v after %v, want an error within the 200ms timeout", err, took)
	}
	if s.requestCount() != 1 {
		t.Errorf("%d requests, want 1", s.requestCount())
	}
}

func TestReportEndsWithItsContext(t *testing.T) {
	s := newSink(t)
	s.hold = make(chan struct{})
	rep := newReporter(t, s, func(c *sentry.Config) { c.Timeout = time.Hour })
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for s.requestCount() == 0 { // cancel once the request is out
			runtime.Gosched()
		}
		cancel()
	}()
	r, _ := panicReport(t)
	if err := rep.Report(ctx, r); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("Report whose context ended: %v, want canceled", err)
	}
	// the next one goes: the ended request left nothing behind
	s.mu.Lock()
	close(s.hold)
	s.hold = nil
	s.mu.Unlock()
	if err := rep.Report(t.Context(), r); err != nil {
		t.Fatalf("Report after a canceled one: %v", err)
	}
}

func TestSentryRefusingIsAnError(t *testing.T) {
	s := newSink(t)
	s.answer = func(w http.ResponseWriter) { http.Error(w, "no", http.StatusInternalServerError) }
	rep := newReporter(t, s, nil)
	r, _ := panicReport(t)
	if err := rep.Report(t.Context(), r); err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("Report answered 500: %v, want an error naming it", err)
	}
}

func TestSentryRateLimitHoldsEventsBack(t *testing.T) {
	s := newSink(t)
	s.answer = func(w http.ResponseWriter) {
		w.Header().Set("X-Sentry-Rate-Limits", "3600:error:organization")
		w.WriteHeader(http.StatusTooManyRequests)
	}
	rep := newReporter(t, s, nil)
	r, _ := panicReport(t)
	if err := rep.Report(t.Context(), r); err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("first Report answered 429: %v", err)
	}
	if err := rep.Report(t.Context(), r); err == nil || !strings.Contains(err.Error(), "back off") {
		t.Fatalf("Report while rate limited: %v, want back off", err)
	}
	if n := s.requestCount(); n != 1 {
		t.Errorf("Sentry got %d requests, want 1: the rate-limited event is not sent", n)
	}
}

func TestCloseEndsTheReporter(t *testing.T) {
	s := newSink(t)
	c := sentry.DefaultConfig()
	c.DSN = s.dsn("publickey")
	rep, err := sentry.New(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Flush(t.Context()); err != nil {
		t.Errorf("Flush: %v", err)
	}
	if err := rep.Close(t.Context()); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := rep.Close(t.Context()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := rep.Flush(t.Context()); err != nil {
		t.Errorf("Flush after Close: %v", err)
	}
	r, _ := panicReport(t)
	if err := rep.Report(t.Context(), r); err != sentry.ErrClosed {
		t.Errorf("Report after Close: %v, want ErrClosed", err)
	}
	if n := s.requestCount(); n != 0 {
		t.Errorf("Sentry got %d requests", n)
	}
}

func TestCloseAbandonsASendAtItsDeadline(t *testing.T) {
	s := newSink(t)
	s.hold = make(chan struct{})
	rep := newReporter(t, s, func(c *sentry.Config) { c.Timeout = time.Hour })
	done := make(chan error, 1)
	r, _ := panicReport(t)
	go func() { done <- rep.Report(context.Background(), r) }()
	for s.requestCount() == 0 {
		runtime.Gosched()
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // the App's stop timeout is over
	if err := rep.Close(ctx); err == nil {
		t.Error("Close with a send running past its context: nil, want an error saying it was abandoned")
	}
	if err := <-done; err == nil {
		t.Error("the abandoned Report returned nil")
	}
}

func TestConcurrentReportsAreAllDelivered(t *testing.T) {
	s := newSink(t)
	crumbs := sentry.NewBreadcrumbs()
	logger := slog.New(crumbs.Handler(slog.NewTextHandler(io.Discard, nil)))
	rep := newReporter(t, s, nil, sentry.WithBreadcrumbs(crumbs))
	const workers, each = 8, 5
	errs := make(chan error, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				logger.Info("working", "worker", w, "i", i)
				r, _ := panicReport(t)
				errs <- rep.Report(t.Context(), r)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := len(s.received()); got != workers*each {
		t.Errorf("Sentry received %d events, want %d", got, workers*each)
	}
}
