// scaffolded by gctl; safe to edit.

// Package server builds the service's servers. The middleware chains are
// here, in the open: reorder, remove or add to them.
package server

import (
	"log/slog"

	"github.com/goxkit/gox/contrib/prometheus"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/health"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/logging"
	mdmw "github.com/goxkit/gox/middleware/metadata"
	"github.com/goxkit/gox/middleware/metrics"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/middleware/requestid"
	"github.com/goxkit/gox/middleware/timeout"
	xhttp "github.com/goxkit/gox/transport/http"

	"shop/configs"
	"shop/internal/handler"
)

// Chain is the middleware every request runs through, HTTP and gRPC alike,
// outermost first.
func Chain(c configs.Config, logger *slog.Logger, m *prometheus.Metrics) []middleware.Middleware {
	return []middleware.Middleware{
		recovery.Recovery(logger),             // a panic becomes a 500 and is logged; the process keeps serving
		requestid.Server(),                    // X-Request-ID: kept or made, echoed, on every log line
		logging.Server(logger),                // one access-log record per request
		metrics.Server(m.Server()),            // gox_server_requests_total and friends
		timeout.Timeout(c.App.RequestTimeout), // deadline for the handler and its downstream calls
		mdmw.Server(""),                       // x-md-* headers travel on to downstream calls
	}
}

// NewHTTP builds the HTTP server and its routes.
// POST /event hands CloudEvents to bus.
func NewHTTP(c configs.Config, logger *slog.Logger, ready *health.Health, m *prometheus.Metrics, bus *event.Bus) (*xhttp.Server, error) {
	s, err := xhttp.NewServer(c.HTTP,
		xhttp.WithLogger(logger),
		xhttp.WithHealth(ready),
		xhttp.WithProduction(c.App.Production()),
		xhttp.WithMetricsHandler(m.Handler()),
		xhttp.WithMiddleware(Chain(c, logger, m)...),
	)
	if err != nil {
		return nil, err
	}
	event.Route(s, bus, "") // the seed's default event route
	handler.Register(s)
	return s, nil
}
