package governance_test

import (
	"context"
	"testing"
	"time"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/governance"
	"github.com/goxkit/gox/middleware/timeout"
	"github.com/goxkit/gox/transport"
)

// BenchmarkMiddleware is the default policy's cost on a call no rule
// selects, behind the timeout middleware as the scaffold places it, against
// the same chain without it.
func BenchmarkMiddleware(b *testing.B) {
	g, err := governance.New(governance.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	h := func(context.Context, any) (any, error) { return nil, nil }
	// stamped as gox's transports stamp a request: when it arrived and when
	// its handler returned
	now := time.Now()
	tr := stamped{goxtest.NewTransport(transport.KindHTTP, "GET /ping"), now, now.Add(50 * time.Microsecond)}
	ctx := transport.NewServerContext(context.Background(), tr)
	for _, c := range []struct {
		name string
		h    func(context.Context, any) (any, error)
	}{
		{"timeout only", timeout.Timeout(10 * time.Second)(h)},
		{"timeout and governance", timeout.Timeout(10 * time.Second)(g.Middleware()(h))},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = c.h(ctx, nil)
			}
		})
	}
}

type stamped struct {
	*goxtest.Transport
	start, end time.Time
}

func (s stamped) Start() time.Time { return s.start }
func (s stamped) End() time.Time   { return s.end }
