package conc_test

import (
	"bytes"
	"context"
	stderrors "errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/goxkit/gox/conc"
	"github.com/goxkit/gox/log"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/report"
)

// requestContext is what a handler's ctx carries: a request id attribute
// for the logs, a span, and a cancellation that comes when it answers.
func requestContext(t *testing.T) (context.Context, context.CancelFunc, trace.SpanContext) {
	t.Helper()
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5}, TraceFlags: trace.FlagsSampled,
	})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	ctx = log.WithAttrs(ctx, slog.String("request_id", "req-42"))
	ctx, cancel := context.WithCancel(ctx)
	return ctx, cancel, sc
}

// A task started by Go outlives the request: it does not see the request's
// cancellation, and keeps its log attributes and trace span.
func TestGoOutlivesTheRequestAndKeepsItsValues(t *testing.T) {
	ctx, cancel, sc := requestContext(t)
	release := make(chan struct{})
	type seen struct {
		err   error
		attrs []slog.Attr
		span  trace.SpanContext
	}
	got := make(chan seen, 1)
	done := conc.Go(ctx, func(ctx context.Context) error {
		<-release
		got <- seen{ctx.Err(), log.Attrs(ctx), trace.SpanContextFromContext(ctx)}
		return nil
	})
	cancel() // the handler answered
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.err != nil {
		t.Fatalf("the task saw the request's cancellation: %v", s.err)
	}
	if len(s.attrs) != 1 || s.attrs[0].Value.String() != "req-42" {
		t.Fatalf("log attributes %v", s.attrs)
	}
	if !s.span.Equal(sc) {
		t.Fatalf("span %v, want %v", s.span, sc)
	}
}

// WithTimeout bounds the task: its ctx ends after the timeout.
func TestGoWithTimeoutBoundsTheTask(t *testing.T) {
	err := <-conc.Go(context.Background(), func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			return stderrors.New("no deadline")
		}
		<-ctx.Done()
		return ctx.Err()
	}, conc.WithTimeout(time.Millisecond), conc.WithLogger(slog.New(slog.DiscardHandler)))
	if !stderrors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
}

// A panicking task does not crash the process: the panic is logged with
// its stack and the request's attributes through gox's log handler, and
// reported to the Submitter found in the context.
func TestGoRecoversLogsAndReportsAPanic(t *testing.T) {
	d, reports := dispatcher(t)
	var buf bytes.Buffer
	logger, err := log.NewWriter(log.DefaultConfig(), true, &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer logger.Close()
	ctx, cancel, _ := requestContext(t)
	defer cancel()
	ctx = report.NewContext(ctx, d)
	err = <-conc.Go(ctx, func(context.Context) error { panicsInGo(); return nil },
		conc.WithName("send-receipt"), conc.WithLogger(logger.Logger))
	if _, ok := stderrors.AsType[*recovery.PanicError](err); !ok || !stderrors.Is(err, recovery.ErrPanic) {
		t.Fatalf("err %v; want the panic", err)
	}
	if err := logger.Sync(); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	for _, want := range []string{"goroutine panicked", "send-receipt", "receipt template missing", "conc_test.panicsInGo", `"request_id":"req-42"`, "01020300000000000000000000000000"} {
		if !strings.Contains(line, want) {
			t.Errorf("log lacks %s: %s", want, line)
		}
	}
	r := next(t, reports)
	if r.Kind != report.KindGoroutine || r.Operation != "send-receipt" || !r.Panic ||
		!strings.Contains(strings.SplitN(r.Stack, "\n", 3)[1], "conc_test.panicsInGo") {
		t.Fatalf("report %+v", r)
	}
	if r.TraceID != "01020300000000000000000000000000" {
		t.Fatalf("report trace id %q", r.TraceID)
	}
}

func panicsInGo() { panic("receipt template missing") }

// WithReporter wins over the context's Submitter; a returned error is
// reported and logged too.
func TestGoReportsAnErrorToTheGivenReporter(t *testing.T) {
	d, reports := dispatcher(t)
	other, others := dispatcher(t)
	ctx := report.NewContext(context.Background(), other)
	err := <-conc.Go(ctx, func(context.Context) error { return stderrors.New("ledger unreachable") },
		conc.WithReporter(d), conc.WithName("sync-ledger"), conc.WithLogger(slog.New(slog.DiscardHandler)))
	if err == nil {
		t.Fatal("no error")
	}
	if r := next(t, reports); r.Operation != "sync-ledger" || r.Message != "ledger unreachable" || r.Panic {
		t.Fatalf("report %+v", r)
	}
	_ = other.Close(context.Background())
	select {
	case r := <-others:
		t.Fatalf("the context's reporter got %+v", r)
	default:
	}
}

// A nil fn is an error, not a crash.
func TestGoNilFunction(t *testing.T) {
	if err := <-conc.Go(context.Background(), nil, conc.WithLogger(slog.New(slog.DiscardHandler))); err == nil {
		t.Fatal("no error")
	}
}
