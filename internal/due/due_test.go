package due

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWaitEndsOnWhatComesFirst(t *testing.T) {
	var w Waiter
	defer w.Stop()
	woken := make(chan struct{})
	close(woken)
	if err := w.Wait(context.Background(), woken, time.Time{}); err != nil {
		t.Fatalf("a closed wake channel: %v", err)
	}
	never := make(chan struct{})
	if err := w.Wait(context.Background(), never, time.Now().Add(time.Millisecond)); err != nil {
		t.Fatalf("a time that comes: %v", err)
	}
	// the timer is reused for a later time, which again ends the wait
	if err := w.Wait(context.Background(), never, time.Now().Add(time.Millisecond)); err != nil {
		t.Fatalf("the timer again: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Wait(ctx, never, time.Now().Add(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Fatalf("an ended context: %v", err)
	}
}
