package report_test

import (
	"bytes"
	"context"
	stderrors "errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/middleware/requestid"
	"github.com/goxkit/gox/report"
)

// recorder is a Reporter keeping what it is given.
type recorder struct{ ch chan *report.Report }

func newRecorder() *recorder { return &recorder{ch: make(chan *report.Report, 1000)} }

func (r *recorder) Report(_ context.Context, rep *report.Report) error {
	r.ch <- rep
	return nil
}

// next waits for the next report; the timeout only guards a broken test.
func (r *recorder) next(t *testing.T) *report.Report {
	t.Helper()
	select {
	case rep := <-r.ch:
		return rep
	case <-time.After(10 * time.Second):
		t.Fatal("no report arrived")
		return nil
	}
}

// none fails if a report arrived; call it after Close, when every report
// has been delivered.
func (r *recorder) none(t *testing.T) {
	t.Helper()
	select {
	case rep := <-r.ch:
		t.Fatalf("unexpected report %+v", rep)
	default:
	}
}

func newDispatcher(t *testing.T, opts ...report.Option) *report.Dispatcher {
	t.Helper()
	d, err := report.NewDispatcher(append([]report.Option{report.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	return d
}

func closeNow(t *testing.T, d *report.Dispatcher) {
	t.Helper()
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A reporter stuck on a dead server never holds up Submit: reports queue
// up to the bound, the rest are dropped and counted, and the code that
// reports goes on at once.
func TestSubmitNeverBlocksOnAStuckReporter(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	stuck := report.ReporterFunc(func(context.Context, *report.Report) error {
		once.Do(func() { close(entered) })
		<-release
		return nil
	})
	d := newDispatcher(t, report.WithReporter(stuck), report.WithQueueSize(4))
	ctx := context.Background()
	failure := &report.Report{Err: errors.Internal("", "db down")}
	d.Submit(ctx, failure)
	<-entered // the reporter holds the first report and blocks
	for range 4 + 3 {
		d.Submit(ctx, &report.Report{Err: errors.Internal("", "db down")})
	}
	if s := d.Stats(); s.Submitted != 5 || s.Dropped != 3 || s.Sent != 0 {
		t.Fatalf("stats %+v while the reporter is stuck; want 5 queued, 3 dropped", s)
	}
	close(release)
	closeNow(t, d)
	if s := d.Stats(); s.Sent != 5 || s.Dropped != 3 {
		t.Fatalf("stats %+v after close; want the 5 queued sent", s)
	}
}

// A reporter that panics is counted and logged; the reporter after it
// still gets the report, and the next report is delivered.
func TestPanickingReporterDoesNotStopTheOthers(t *testing.T) {
	var logs bytes.Buffer
	rec := newRecorder()
	boom := report.ReporterFunc(func(context.Context, *report.Report) error { panic("reporter bug") })
	d, err := report.NewDispatcher(report.WithReporter(boom, rec), report.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	d.Submit(context.Background(), &report.Report{Err: errors.Internal("", "first")})
	d.Submit(context.Background(), &report.Report{Err: errors.Internal("", "second")})
	closeNow(t, d)
	if a, b := rec.next(t), rec.next(t); a.Message != "first" || b.Message != "second" {
		t.Fatalf("got %q, %q", a.Message, b.Message)
	}
	if s := d.Stats(); s.Panicked != 2 || s.Sent != 2 {
		t.Fatalf("stats %+v; want 2 panics, 2 sent", s)
	}
	if !strings.Contains(logs.String(), "error reporter panicked") || !strings.Contains(logs.String(), "reporter bug") {
		t.Fatalf("log: %s", logs.String())
	}
}

// A failing reporter is counted and logged.
func TestFailingReporterIsCounted(t *testing.T) {
	var logs bytes.Buffer
	down := report.ReporterFunc(func(context.Context, *report.Report) error { return stderrors.New("smtp: connection refused") })
	d, err := report.NewDispatcher(report.WithReporter(down), report.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	d.Submit(context.Background(), &report.Report{Err: stderrors.New("boom")})
	closeNow(t, d)
	if s := d.Stats(); s.Failed != 1 || s.Sent != 0 {
		t.Fatalf("stats %+v", s)
	}
	if !strings.Contains(logs.String(), "connection refused") {
		t.Fatalf("log: %s", logs.String())
	}
}

// Expected failures (4xx) are not reported unless MinCode says so;
// panics and dead letters always are.
func TestExpectedFailuresAreNotReportedUnlessConfigured(t *testing.T) {
	for _, c := range []struct {
		name    string
		opts    []report.Option
		r       *report.Report
		reports bool
	}{
		{"404", nil, &report.Report{Err: errors.NotFound("", "no user")}, false},
		{"429", nil, &report.Report{Err: errors.TooManyRequests("", "slow down")}, false},
		{"499", nil, &report.Report{Err: context.Canceled}, false},
		{"500", nil, &report.Report{Err: errors.Internal("", "bug")}, true},
		{"plain error", nil, &report.Report{Err: stderrors.New("bug")}, true},
		{"503", nil, &report.Report{Err: errors.Unavailable("", "down")}, true},
		{"404 with min_code 400", []report.Option{report.WithMinCode(400)}, &report.Report{Err: errors.NotFound("", "no user")}, true},
		{"503 with min_code 503", []report.Option{report.WithMinCode(503)}, &report.Report{Err: errors.Internal("", "bug")}, false},
		{"panic with a 4xx", nil, &report.Report{Err: errors.BadRequest("", "x").WithCause(&recovery.PanicError{Value: "v"})}, true},
		{"dead letter of a 400", nil, &report.Report{Kind: report.KindQueue, Err: errors.BadRequest("", "bad job")}, true},
		{"profile", nil, &report.Report{Kind: report.KindProfile, Message: "cpu 95%"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := newRecorder()
			d := newDispatcher(t, append(c.opts, report.WithReporter(rec))...)
			d.Submit(context.Background(), c.r)
			closeNow(t, d)
			if !c.reports {
				rec.none(t)
				if d.Stats().Ignored != 1 {
					t.Fatalf("stats %+v; want it ignored", d.Stats())
				}
				return
			}
			rec.next(t)
		})
	}
}

// The request's secrets never reach a reporter: the default headers, the
// configured ones and secret query parameters are redacted; the rest is
// kept.
func TestHeadersAndQueryRedacted(t *testing.T) {
	rec := newRecorder()
	d := newDispatcher(t, report.WithReporter(rec), report.WithRedactHeaders("x-tenant-secret"), report.WithRedactQuery("sig"))
	h := http.Header{}
	h.Set("Authorization", "Bearer eyJhbGciOi.secret")
	h.Add("Cookie", "session=abc")
	h.Add("Cookie", "theme=dark")
	h.Set("X-Api-Key", "k-123")
	h.Set("Proxy-Authorization", "Basic dXNlcjpwYXNz")
	h.Set("X-Tenant-Secret", "tenant-pw")
	h.Set("User-Agent", "curl/8")
	d.Submit(context.Background(), &report.Report{Kind: report.KindHTTP, Err: errors.Internal("", "bug"),
		HTTP: &report.HTTP{Method: "GET", Path: "/v1/users", Query: "page=2&access_token=tok-1&SIG=s3&q=a%3Db", Header: h}})
	closeNow(t, d)
	got := rec.next(t).HTTP
	for _, k := range []string{"Authorization", "Cookie", "X-Api-Key", "Proxy-Authorization", "X-Tenant-Secret"} {
		for _, v := range got.Header.Values(k) {
			if v != report.Redacted {
				t.Errorf("%s = %q; want it redacted", k, v)
			}
		}
	}
	if len(got.Header.Values("Cookie")) != 2 || got.Header.Get("User-Agent") != "curl/8" {
		t.Errorf("headers %v", got.Header)
	}
	if want := "page=2&access_token=[redacted]&SIG=[redacted]&q=a%3Db"; got.Query != want {
		t.Errorf("query %q; want %q", got.Query, want)
	}
}

// Each report carries the service, the code, reason, message and stack of
// its error, and the request id and trace of the request that failed.
func TestReportIsFilledFromErrorAndContext(t *testing.T) {
	rec := newRecorder()
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	d := newDispatcher(t, report.WithReporter(rec), report.WithService("shop", "1.4.2", "production"),
		report.WithClock(func() time.Time { return at }))
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	ctx = requestid.NewContext(ctx, "req-42")

	d.Submit(ctx, &report.Report{Kind: report.KindHTTP, Operation: "GET /orders/:id", Err: failOrder()})
	pe := recovery.NewPanicError("nil map")
	d.Submit(ctx, &report.Report{Kind: report.KindGRPC, Err: recovery.ErrPanic.WithCause(pe)})
	closeNow(t, d)

	r := rec.next(t)
	if r.Service != "shop" || r.Version != "1.4.2" || r.Environment != "production" || !r.Time.Equal(at) {
		t.Errorf("service %q %q %q time %v", r.Service, r.Version, r.Environment, r.Time)
	}
	if r.Code != 503 || r.Reason != "ORDERS_DOWN" || r.Message != "orders unavailable" || r.Panic {
		t.Errorf("code %d reason %q message %q panic %v", r.Code, r.Reason, r.Message, r.Panic)
	}
	if !strings.Contains(r.Stack, "report_test.failOrder") {
		t.Errorf("stack does not show where the error was made:\n%s", r.Stack)
	}
	if r.RequestID != "req-42" || r.TraceID != tid.String() || r.SpanID != sid.String() {
		t.Errorf("ids %q %q %q", r.RequestID, r.TraceID, r.SpanID)
	}
	p := rec.next(t)
	if !p.Panic || p.Code != 500 || p.Reason != errors.ReasonPanic || p.Message != "panic: nil map" || p.Stack != pe.Stack {
		t.Errorf("panic report %+v", p)
	}
}

func failOrder() error { return errors.Unavailable("ORDERS_DOWN", "orders unavailable") }

// Close delivers what is queued and flushes the reporters that hold
// reports back.
func TestCloseDrainsAndFlushes(t *testing.T) {
	fl := &flusher{}
	d := newDispatcher(t, report.WithReporter(fl))
	for range 10 {
		d.Submit(context.Background(), &report.Report{Err: errors.Internal("", "x")})
	}
	closeNow(t, d)
	if fl.reported() != 10 || fl.flushed() != 10 {
		t.Fatalf("reported %d, flushed %d; want 10 both", fl.reported(), fl.flushed())
	}
	d.Submit(context.Background(), &report.Report{Err: errors.Internal("", "late")})
	if s := d.Stats(); s.Dropped != 1 {
		t.Fatalf("a report after Close: stats %+v; want it dropped", s)
	}
}

// flusher batches reports until Flush.
type flusher struct {
	mu             sync.Mutex
	held, n, flush int
}

func (f *flusher) Report(context.Context, *report.Report) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held++
	f.n++
	return nil
}

func (f *flusher) Flush(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flush += f.held
	f.held = 0
	return nil
}

func (f *flusher) reported() int { f.mu.Lock(); defer f.mu.Unlock(); return f.n }
func (f *flusher) flushed() int  { f.mu.Lock(); defer f.mu.Unlock(); return f.flush }

// A reporter that ignores its context cannot hold the App's stop past its
// deadline: Close returns when its context ends, saying what was left.
func TestCloseGivesUpAtItsDeadline(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	var once sync.Once
	stuck := report.ReporterFunc(func(context.Context, *report.Report) error {
		once.Do(func() { close(entered) })
		<-release
		return nil
	})
	d := newDispatcher(t, report.WithReporter(stuck))
	for range 3 {
		d.Submit(context.Background(), &report.Report{Err: errors.Internal("", "x")})
	}
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := d.Close(ctx)
	if !stderrors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "not delivered") {
		t.Fatalf("Close = %v; want the deadline named", err)
	}
}

// Dropped reports are logged once a minute with their count, not once
// each: a full queue during an outage drops thousands a second.
func TestDropsAreLoggedOncePerMinute(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	stuck := report.ReporterFunc(func(context.Context, *report.Report) error {
		once.Do(func() { close(entered) })
		<-release
		return nil
	})
	d, err := report.NewDispatcher(report.WithReporter(stuck), report.WithQueueSize(1), report.WithClock(clock),
		report.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { close(release); closeNow(t, d) }()
	ctx := context.Background()
	d.Submit(ctx, &report.Report{Err: errors.Internal("", "x")})
	<-entered
	d.Submit(ctx, &report.Report{Err: errors.Internal("", "x")}) // fills the queue
	for range 100 {
		d.Submit(ctx, &report.Report{Err: errors.Internal("", "x")})
	}
	if n := strings.Count(logs.String(), "error reports dropped"); n != 1 {
		t.Fatalf("%d log lines for 100 drops in a second; want 1:\n%s", n, logs.String())
	}
	advance(59 * time.Second)
	d.Submit(ctx, &report.Report{Err: errors.Internal("", "x")})
	if n := strings.Count(logs.String(), "error reports dropped"); n != 1 {
		t.Fatalf("%d log lines within the minute; want 1", n)
	}
	advance(time.Second)
	d.Submit(ctx, &report.Report{Err: errors.Internal("", "x")})
	if n := strings.Count(logs.String(), "error reports dropped"); n != 2 || !strings.Contains(logs.String(), "dropped=101") {
		t.Fatalf("after a minute: %d lines; want 2, the second counting the 101 since:\n%s", n, logs.String())
	}
	if d.Stats().Dropped != 102 {
		t.Fatalf("stats %+v", d.Stats())
	}
}

// A configuration the dispatcher cannot honour is refused, naming the key.
func TestBadConfigIsRefusedNamingTheKey(t *testing.T) {
	for _, c := range []struct {
		cfg  report.Config
		want string
	}{
		{report.Config{QueueSize: -1}, "queue_size"},
		{report.Config{MinCode: 200}, "min_code"},
		{report.Config{MinCode: 600}, "min_code"},
		{report.Config{Timeout: -time.Second}, "timeout"},
		{report.Config{RedactHeaders: []string{"Authorization", "Bad Header"}}, "redact_headers[1]"},
		{report.Config{RedactQuery: []string{""}}, "redact_query[0]"},
	} {
		_, err := report.NewDispatcher(report.WithConfig(c.cfg))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v; want it to name %s", c.cfg, err, c.want)
		}
	}
	if _, err := report.NewDispatcher(report.WithReporter(nil)); err == nil {
		t.Error("a nil reporter was accepted")
	}
}

// A nil Dispatcher reports nothing and does not panic: hooks may be given
// one when reporting is off.
func TestNilDispatcherIgnores(t *testing.T) {
	var d *report.Dispatcher
	d.Submit(context.Background(), &report.Report{Err: stderrors.New("x")})
}
