package profiling_test

import (
	"context"
	"fmt"
	"log"

	"github.com/goxkit/gox/profiling"
	"github.com/goxkit/gox/report"
)

// A Profiler with holmes's default rules, reporting each capture. In a gox
// App it is a server: gox.WithServer(p).
func Example() {
	cfg := profiling.DefaultConfig()
	cfg.Dir = "/var/lib/myservice/profiles"
	p, err := profiling.New(cfg, profiling.WithReporter(report.ReporterFunc(func(_ context.Context, r *report.Report) error {
		log.Printf("%s: %s", r.Message, r.Tags["file"])
		return nil
	})))
	if err != nil {
		log.Fatal(err)
	}
	_ = p // go p.Start(ctx); defer p.Stop(ctx)
	fmt.Println(cfg.CPU.Abs, cfg.Goroutine.Min)
	// Output: 70 3000
}
