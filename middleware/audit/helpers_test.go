package audit_test

import (
	"context"
	"io"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/audit"
	"github.com/goxkit/gox/middleware/auth"
	"github.com/goxkit/gox/transport"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// collector is a sink keeping what it was given.
type collector struct {
	mu   sync.Mutex
	recs []audit.Record
}

func (c *collector) Write(_ context.Context, r *audit.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, *r)
	return nil
}

func (c *collector) Records() []audit.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]audit.Record(nil), c.recs...)
}

// only returns the one record the collector holds, failing otherwise.
func (c *collector) only(t *testing.T) audit.Record {
	t.Helper()
	recs := c.Records()
	if len(recs) != 1 {
		t.Fatalf("got %d records, want 1: %+v", len(recs), recs)
	}
	return recs[0]
}

func (c *collector) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = nil
}

// withClaims stands in for the authentication middleware: calls carrying
// an "X-Test-Sub" header (HTTP) or "x-test-sub" metadata (gRPC) get claims
// for that subject.
func withClaims() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			if tr, ok := transportFrom(ctx); ok {
				if sub := tr.RequestHeader().Get("X-Test-Sub"); sub != "" {
					ctx = auth.NewContext(ctx, &auth.Claims{Subject: sub,
						Raw: map[string]any{"sub": sub, "email": sub + "@example.com"}})
				}
			}
			return next(ctx, req)
		}
	}
}

func newAuditor(t *testing.T, c audit.Config, opts ...audit.Option) *audit.Auditor {
	t.Helper()
	a, err := audit.New(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func transportFrom(ctx context.Context) (transport.Transporter, bool) {
	return transport.FromServerContext(ctx)
}

// syncWriter serializes writes to a buffer the test reads.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// checkClient checks that a record's client is a loopback address and
// clears it for comparison.
func checkClient(t *testing.T, client string) string {
	t.Helper()
	if !strings.HasPrefix(client, "127.0.0.1:") {
		t.Fatalf("client %q, want the loopback caller", client)
	}
	return ""
}

func equalRecords(a, b audit.Record) bool {
	return a.Time.Equal(b.Time) && a.Subject == b.Subject && a.Operation == b.Operation && a.Kind == b.Kind &&
		maps.Equal(a.Resources, b.Resources) && a.RequestID == b.RequestID && a.Client == b.Client &&
		a.Outcome == b.Outcome && a.Code == b.Code && a.Reason == b.Reason && a.Latency == b.Latency &&
		string(a.Request) == string(b.Request)
}
