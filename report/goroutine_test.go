package report_test

import (
	"context"
	stderrors "errors"
	"strings"
	"testing"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/report"
)

// A goroutine started with Go that panics is reported with the panic site
// and does not take the process down; one that fails is reported; one that
// succeeds is not.
func TestGoReportsPanicsAndFailures(t *testing.T) {
	rec := newRecorder()
	d := newDispatcher(t, report.WithReporter(rec))
	ctx := context.Background()
	err := <-report.Go(ctx, d, "warm-cache", func(context.Context) error { panicsInBackground(); return nil })
	if _, ok := stderrors.AsType[*recovery.PanicError](err); !ok {
		t.Fatalf("Go's error %v; want the panic", err)
	}
	if err := <-report.Go(ctx, d, "sync-ledger", func(context.Context) error { return stderrors.New("ledger unreachable") }); err == nil {
		t.Fatal("the failure was not returned")
	}
	if err := <-report.Go(ctx, d, "fine", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := <-report.Go(ctx, d, "expected", func(context.Context) error { return errors.NotFound("", "gone") }); err == nil {
		t.Fatal("the 404 was not returned")
	}
	closeNow(t, d)
	p := rec.next(t)
	if p.Kind != report.KindGoroutine || p.Operation != "warm-cache" || !p.Panic ||
		!strings.Contains(strings.SplitN(p.Stack, "\n", 3)[1], "report_test.panicsInBackground") {
		t.Fatalf("panic report %+v", p)
	}
	f := rec.next(t)
	if f.Operation != "sync-ledger" || f.Panic || f.Code != 500 || f.Message != "ledger unreachable" {
		t.Fatalf("failure report %+v", f)
	}
	rec.none(t)
}

func panicsInBackground() { panic("cache warm-up bug") }
