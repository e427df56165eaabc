package metrics_test

import (
	"context"
	"sync"
	"testing"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	mmw "github.com/goxkit/gox/middleware/metrics"
	"github.com/goxkit/gox/transport"
)

type recorder struct {
	mu       sync.Mutex
	inflight map[string]float64
	observed []string
}

func (r *recorder) InFlight(kind string, d float64) {
	r.mu.Lock()
	r.inflight[kind] += d
	r.mu.Unlock()
}
func (r *recorder) Observe(kind, op, code string, _ float64) {
	r.mu.Lock()
	r.observed = append(r.observed, kind+" "+op+" "+code)
	r.mu.Unlock()
}

func TestRecordsCodeAndInFlight(t *testing.T) {
	r := &recorder{inflight: map[string]float64{}}
	var during float64
	h := mmw.Server(r)(func(context.Context, any) (any, error) {
		during = r.inflight["grpc"]
		return nil, errors.Unavailable("", "down")
	})
	_, _ = h(goxtest.ServerContext(context.Background(), goxtest.NewTransport(transport.KindGRPC, "/a.A/B")), nil)
	if during != 1 || r.inflight["grpc"] != 0 {
		t.Fatalf("in flight during %v after %v", during, r.inflight["grpc"])
	}
	if len(r.observed) != 1 || r.observed[0] != "grpc /a.A/B 503" {
		t.Fatalf("observed %v", r.observed)
	}
}
