package conc_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goxkit/gox/report"
)

// TestMain fails the package when a test leaves a goroutine running: a
// Scheduler not stopped, a Group not waited for, a First's loser that
// ignores its context.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// dispatcher returns a real report.Dispatcher whose reports arrive on the
// returned channel; it is closed when the test ends.
func dispatcher(t *testing.T) (*report.Dispatcher, <-chan *report.Report) {
	t.Helper()
	ch := make(chan *report.Report, 100)
	d, err := report.NewDispatcher(report.WithReporter(report.ReporterFunc(func(_ context.Context, r *report.Report) error {
		ch <- r
		return nil
	})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	return d, ch
}

// next waits for the next report; the timeout only guards a broken test.
func next(t *testing.T, ch <-chan *report.Report) *report.Report {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no report arrived")
		return nil
	}
}
