package timeout_test

import (
	"context"
	"testing"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware/timeout"
)

func TestDeadlineReachesHandlerAndMapsTo504(t *testing.T) {
	h := timeout.Timeout(50 * time.Millisecond)(func(ctx context.Context, _ any) (any, error) {
		<-ctx.Done() // a downstream call that honours ctx
		return nil, ctx.Err()
	})
	start := time.Now()
	_, err := h(context.Background(), nil)
	if took := time.Since(start); took > time.Second {
		t.Fatalf("took %v", took)
	}
	if errors.Code(err) != 504 {
		t.Fatalf("code %d, want 504", errors.Code(err))
	}
}

func TestSoonerCallerDeadlineWins(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	want, _ := ctx.Deadline()
	h := timeout.Timeout(time.Hour)(func(ctx context.Context, _ any) (any, error) {
		got, _ := ctx.Deadline()
		if !got.Equal(want) {
			t.Errorf("deadline %v, want caller's %v", got, want)
		}
		return nil, nil
	})
	_, _ = h(ctx, nil)
}
