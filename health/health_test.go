package health_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/goxkit/gox/health"
)

func TestReadiness(t *testing.T) {
	h := health.New(50 * time.Millisecond)
	if r := h.Ready(context.Background()); !r.Ready {
		t.Fatal("no checks: want ready")
	}
	h.Add("db", func(context.Context) error { return nil })
	h.Add("cache", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }) // hangs: timed out
	r := h.Ready(context.Background())
	if r.Ready || r.Checks["db"] != "ok" || r.Checks["cache"] != context.DeadlineExceeded.Error() {
		t.Fatalf("report %+v", r)
	}
	h.Add("cache", func(context.Context) error { return nil })
	if r := h.Ready(context.Background()); !r.Ready {
		t.Fatalf("report %+v", r)
	}
	h.Add("queue", func(context.Context) error { return errors.New("broker unreachable") })
	if r := h.Ready(context.Background()); r.Ready || r.Checks["queue"] != "broker unreachable" {
		t.Fatalf("report %+v", r)
	}
}

func TestShutdownTurnsReadinessOffAndNotifies(t *testing.T) {
	h := health.New(0)
	ch := h.Changed()
	h.SetShuttingDown()
	select {
	case <-ch:
	case <-time.After(time.Second):
		t.Fatal("Changed not closed on shutdown")
	}
	if r := h.Ready(context.Background()); r.Ready || !r.ShuttingDown {
		t.Fatalf("report %+v", r)
	}
}
