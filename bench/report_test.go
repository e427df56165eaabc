package bench

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/middleware/requestid"
	"github.com/goxkit/gox/report"
	xhttp "github.com/goxkit/gox/transport/http"
)

// BenchmarkReportFailingHandler is a handler that fails (500) on every
// request, served through the HTTP server (gin and the gox chain, no
// network, production error rendering), without reporting ("off") and with the reporting middleware
// feeding a Dispatcher whose reporter takes 1ms a report ("slow": its queue
// is full at once and most reports are dropped, as in an outage of Sentry
// or SMTP) or no time ("fast"). Reporting is asynchronous and bounded, so
// "slow" costs the request what "fast" does: the report is built and
// queued or dropped, never waited for. The ratio to "off" is the cost of a
// report on the request path.
func BenchmarkReportFailingHandler(b *testing.B) {
	quiet := slog.New(slog.DiscardHandler)
	for _, c := range []struct {
		name  string
		delay time.Duration
		on    bool
	}{{"off", 0, false}, {"fast", 0, true}, {"slow", time.Millisecond, true}} {
		b.Run(c.name, func(b *testing.B) {
			mws := []middleware.Middleware{requestid.Server()}
			var d *report.Dispatcher
			if c.on {
				var err error
				d, err = report.NewDispatcher(report.WithLogger(quiet), report.WithReporter(report.ReporterFunc(
					func(context.Context, *report.Report) error { time.Sleep(c.delay); return nil })))
				if err != nil {
					b.Fatal(err)
				}
				defer d.Close(context.Background())
				mws = append(mws, report.Middleware(d))
			}
			mws = append(mws, recovery.Recovery(quiet))
			s, err := xhttp.NewServer(xhttp.DefaultConfig(), xhttp.WithMiddleware(mws...), xhttp.WithLogger(quiet), xhttp.WithProduction(true))
			if err != nil {
				b.Fatal(err)
			}
			s.GET("/orders/:id", func(*xhttp.Context) error { return errors.Internal("ORDERS_DB", "orders are unreachable") })
			req := httptest.NewRequest(http.MethodGet, "/orders/7?expand=items", nil)
			req.Header.Set("Authorization", "Bearer t")
			req.Header.Set("User-Agent", "bench")
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, req)
				if w.Code != 500 {
					b.Fatal(w.Code)
				}
			}
			b.StopTimer()
			if d != nil {
				st := d.Stats()
				b.ReportMetric(float64(st.Dropped)/float64(b.N), "dropped/op")
			}
		})
	}
}

// BenchmarkReportFailingHandlerPaired serves the failing request once
// without reporting and once with reporting to a slow (1ms) reporter in
// each iteration, timing each, so that both see the same neighbours on a
// loaded host: the ratio is what a report costs the request path.
func BenchmarkReportFailingHandlerPaired(b *testing.B) {
	quiet := slog.New(slog.DiscardHandler)
	d, err := report.NewDispatcher(report.WithLogger(quiet), report.WithReporter(report.ReporterFunc(
		func(context.Context, *report.Report) error { time.Sleep(time.Millisecond); return nil })))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close(context.Background())
	server := func(mws ...middleware.Middleware) *xhttp.Server {
		mws = append([]middleware.Middleware{requestid.Server()}, append(mws, recovery.Recovery(quiet))...)
		s, err := xhttp.NewServer(xhttp.DefaultConfig(), xhttp.WithMiddleware(mws...), xhttp.WithLogger(quiet), xhttp.WithProduction(true))
		if err != nil {
			b.Fatal(err)
		}
		s.GET("/orders/:id", func(*xhttp.Context) error { return errors.Internal("ORDERS_DB", "orders are unreachable") })
		return s
	}
	off, on := server(), server(report.Middleware(d))
	req := httptest.NewRequest(http.MethodGet, "/orders/7?expand=items", nil)
	req.Header.Set("Authorization", "Bearer t")
	var tOff, tOn time.Duration
	serve := func(s *xhttp.Server) time.Duration {
		w := httptest.NewRecorder()
		t0 := time.Now()
		s.ServeHTTP(w, req)
		el := time.Since(t0)
		if w.Code != 500 {
			b.Fatal(w.Code)
		}
		return el
	}
	for b.Loop() {
		tOff += serve(off)
		tOn += serve(on)
	}
	b.ReportMetric(float64(tOff.Nanoseconds())/float64(b.N), "off-ns/op")
	b.ReportMetric(float64(tOn.Nanoseconds())/float64(b.N), "reported-ns/op")
	b.ReportMetric(float64(tOn)/float64(tOff), "reported/off")
	b.ReportMetric(float64(d.Stats().Dropped)/float64(b.N), "dropped/op")
}
