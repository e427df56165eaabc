package report_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/middleware/requestid"
	"github.com/goxkit/gox/report"
)

// A Dispatcher with a reporter that prints, fed by the middleware around a
// handler that fails: the 500 is reported, the 404 is not.
func Example() {
	printer := report.ReporterFunc(func(_ context.Context, r *report.Report) error {
		fmt.Printf("%s %d %s: %s (service %s %s)\n", r.Kind, r.Code, r.Reason, r.Message, r.Service, r.Version)
		return nil
	})
	d, err := report.NewDispatcher(report.WithReporter(printer), report.WithService("shop", "1.4.2", "production"))
	if err != nil {
		panic(err)
	}
	// The chain a server runs: request id, reporting, then recovery.
	chain := middleware.Chain(requestid.Server(), report.Middleware(d), recovery.Recovery(slog.New(slog.DiscardHandler)))
	_, _ = chain(func(context.Context, any) (any, error) {
		return nil, errors.Internal("ORDERS_DB", "orders are unreachable")
	})(context.Background(), nil)
	_, _ = chain(func(context.Context, any) (any, error) {
		return nil, errors.NotFound("", "no such order")
	})(context.Background(), nil)

	// What the App does at stop (gox.WithResource("report", d.Close)):
	// deliver what is queued, flush the reporters.
	_ = d.Close(context.Background())
	fmt.Printf("%+v\n", d.Stats())
	// Output:
	// 500 ORDERS_DB: orders are unreachable (service shop 1.4.2)
	// {Submitted:1 Ignored:1 Dropped:0 Sent:1 Failed:0 Panicked:0}
}

// Go runs a background task; its panic is reported, not fatal.
func ExampleGo() {
	d, _ := report.NewDispatcher(report.WithReporter(report.ReporterFunc(func(_ context.Context, r *report.Report) error {
		fmt.Println(r.Kind, r.Operation, r.Panic, r.Message)
		return nil
	})))
	err := <-report.Go(context.Background(), d, "warm-cache", func(context.Context) error {
		var shards []int
		return fmt.Errorf("shard %d", shards[len(shards)+1])
	})
	_ = d.Close(context.Background())
	fmt.Println(err != nil)
	// Output:
	// goroutine warm-cache true panic: runtime error: index out of range [1] with length 0
	// true
}
