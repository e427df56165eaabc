package sentry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/goxkit/gox/contrib/report/sentry"
	"github.com/goxkit/gox/report"
)

// A Reporter sends each report as one event, with the last log records as
// breadcrumbs. In a service it is handed to report.NewDispatcher
// (report.WithReporter) and closed by the App (gox.WithResource); here it
// is called directly, against an endpoint standing in for Sentry.
func Example() {
	sentryStandIn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("Sentry received", r.Method, r.URL.Path)
	}))
	defer sentryStandIn.Close()

	crumbs := sentry.NewBreadcrumbs()
	logger := slog.New(crumbs.Handler(slog.NewJSONHandler(io.Discard, nil)))

	cfg := sentry.DefaultConfig()
	cfg.DSN = "http://publickey@" + sentryStandIn.Listener.Addr().String() + "/42"
	cfg.Environment = "production"
	rep, err := sentry.New(cfg, sentry.WithBreadcrumbs(crumbs), sentry.WithLogger(logger))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = rep.Close(context.Background()) }()

	logger.Info("loading user", "id", 7) // goes with the event as a breadcrumb
	err = rep.Report(context.Background(), &report.Report{
		Kind: report.KindHTTP, Operation: "GET /v1/users/:id", Code: 500,
		Err: errors.New("users: the database is not answering"), Service: "users", Version: "1.4.2",
	})
	fmt.Println("delivered:", err == nil)
	// Output:
	// Sentry received POST /api/42/envelope/
	// delivered: true
}

// A malformed DSN stops the service at start, the key named and the DSN
// (a credential) not repeated.
func ExampleNew_malformedDSN() {
	cfg := sentry.DefaultConfig()
	cfg.DSN = "https://o1.ingest.sentry.io/42" // the public key is missing
	_, err := sentry.New(cfg)
	fmt.Println(err)
	// Output:
	// sentry.dsn is malformed: no public key (the user part of the URL); want https://PUBLIC_KEY@HOST/PROJECT_ID
}
