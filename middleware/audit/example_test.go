package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/audit"
	"github.com/goxkit/gox/middleware/auth"
	"github.com/goxkit/gox/transport"
)

type deleteUser struct {
	ID       string `json:"id"`
	Password string `json:"password"`
}

// An Auditor on a chain: the record of a selected call, as BrokerSink
// publishes it. In a service the sinks are audit.LogSink(logger) with
// OpenLog's logger and audit.BrokerSink(producer, c.Topic), and the
// middleware goes on the server's chain after the authentication one.
func Example() {
	c := audit.DefaultConfig()
	c.Prefixes = []string{"/user.v1.User/Delete"}
	c.ResourceFields = []string{"id"}
	c.RecordRequest = true
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	now := start
	print := audit.SinkFunc(func(_ context.Context, r *audit.Record) error {
		b, _ := json.Marshal(r)
		fmt.Println(string(b))
		return nil
	})
	a, err := audit.New(c, audit.WithSink(print), audit.WithClock(func() time.Time { return now }))
	if err != nil {
		fmt.Println(err)
		return
	}
	h := middleware.Chain(a.Middleware())(func(ctx context.Context, req any) (any, error) {
		now = now.Add(12 * time.Millisecond) // the handler's work
		return "deleted", nil
	})

	// what the gRPC transport and the auth middleware put in the context
	tr := &goxtest.Transport{TKind: transport.KindGRPC, TOperation: "/user.v1.User/Delete", Request: goxtest.Header{}}
	ctx := transport.NewServerContext(context.Background(), tr)
	ctx = auth.NewContext(ctx, &auth.Claims{Subject: "alice"})
	_, _ = h(ctx, &deleteUser{ID: "42", Password: "hunter2"})
	// Output:
	// {"time":"2025-03-01T12:00:00Z","subject":"alice","operation":"/user.v1.User/Delete","kind":"grpc","resources":{"id":"42"},"outcome":"ok","code":200,"request":{"id":"42","password":"[redacted]"},"latency_ms":12}
}
