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

func TestLazyDeadlineSemantics(t *testing.T) {
	t.Run("Err turns without anyone waiting", func(t *testing.T) {
		h := timeout.Timeout(20 * time.Millisecond)(func(ctx context.Context, _ any) (any, error) {
			if ctx.Err() != nil {
				t.Error("expired at once")
			}
			if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > 20*time.Millisecond {
				t.Errorf("deadline %v %v", dl, ok)
			}
			time.Sleep(40 * time.Millisecond) // a handler that ignores ctx
			return nil, ctx.Err()
		})
		if _, err := h(context.Background(), nil); err != context.DeadlineExceeded {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("parent cancellation reaches Done and children", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		h := timeout.Timeout(time.Hour)(func(ctx context.Context, _ any) (any, error) {
			child, stop := context.WithCancel(ctx) // children of the lazy context work
			defer stop()
			cancel()
			select {
			case <-child.Done():
			case <-time.After(time.Second):
				t.Error("child not canceled with the parent")
			}
			return nil, ctx.Err()
		})
		if _, err := h(parent, nil); err != context.Canceled {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("Cause after the deadline", func(t *testing.T) {
		h := timeout.Timeout(10 * time.Millisecond)(func(ctx context.Context, _ any) (any, error) {
			<-ctx.Done()
			return nil, context.Cause(ctx)
		})
		if _, err := h(context.Background(), nil); err != context.DeadlineExceeded {
			t.Fatalf("cause %v", err)
		}
	})
}
