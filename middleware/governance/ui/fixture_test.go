package ui_test

import (
	"context"
	"testing"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/governance"
	"github.com/goxkit/gox/middleware/governance/ui"
	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/selector"
	"github.com/goxkit/gox/transport"
)

const (
	usersOp  = "GET /users/:id"
	chargeOp = "/billing.v1.Billing/Charge"
	hostile  = "GET /<script>alert(1)</script>"
)

// fixture is a governor whose operations have been called, one call of
// Charge still running in its bulkhead, and the selector of a service
// called, one instance ejected.
func fixture(t *testing.T) ui.Options {
	t.Helper()
	c := governance.DefaultConfig()
	c.Rules = []governance.Rule{
		{Exact: []string{usersOp}, RateLimit: &governance.RateLimit{Rate: governance.Rate{Limit: 1, Per: time.Hour}}},
		{Prefix: []string{"/billing.v1.Billing/"}, MaxInFlight: 1, Timeout: 2 * time.Second, Priority: "critical", Fallback: "cached"},
		{Exact: []string{hostile}, Priority: "low"},
	}
	g, err := governance.New(c, governance.WithFallback("cached", func(context.Context, any, error) (any, error) { return "cached", nil }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	ok := func(context.Context, any) (any, error) { return "ok", nil }
	call := func(kind transport.Kind, op string, h func(context.Context, any) (any, error)) {
		_, _ = g.Middleware()(h)(goxtest.ServerContext(context.Background(), goxtest.NewTransport(kind, op)), nil)
	}
	call(transport.KindHTTP, usersOp, ok)
	call(transport.KindHTTP, usersOp, ok) // rate limited
	for range 20 {                        // enough for a typical latency
		call(transport.KindGRPC, chargeOp, ok)
	}
	entered, release, finished := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		call(transport.KindGRPC, chargeOp, func(context.Context, any) (any, error) {
			close(entered)
			<-release
			return "ok", nil
		})
	}()
	<-entered
	t.Cleanup(func() { close(release); <-finished })
	call(transport.KindGRPC, chargeOp, ok) // the bulkhead is full: the fallback answers

	return ui.Options{State: g.State, Breakers: ui.BreakersOf(func() []*selector.Selector {
		return []*selector.Selector{billing(t)}
	}), Title: "shop · resilience"}
}

// billing is the selector of a service called: billing-1 failed twice in a
// row and is ejected for an hour, billing-0 answered three calls.
func billing(t *testing.T) *selector.Selector {
	t.Helper()
	s := selector.New("billing", selector.NewRoundRobin()).SetInstanceHealth(selector.InstanceHealth{ConsecutiveFailures: 2, Ejection: time.Hour, MaxEjection: time.Hour})
	s.Apply([]*selector.Node{
		selector.NewNode("10.0.0.1:8000", &registry.ServiceInstance{ID: "billing-0", Name: "billing"}),
		selector.NewNode("10.0.0.2:8000", &registry.ServiceInstance{ID: "billing-1", Name: "billing"}),
	})
	for range 5 {
		n, done, err := s.Pick(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var callErr error
		if n.Address == "10.0.0.2:8000" {
			callErr = errors.Unavailable("", "connection refused")
		}
		done(context.Background(), selector.DoneInfo{Err: callErr})
	}
	return s
}
