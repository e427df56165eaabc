package clock

import (
	"context"
	"testing"
	"time"
)

// Now agrees with time.Now (wall and monotonic readings) and never goes back.
func TestNowAgreesWithTimeNow(t *testing.T) {
	prev := Now()
	for range 10000 {
		before := time.Now()
		got := Now()
		after := time.Now()
		if got.Before(before) || got.After(after) { // monotonic comparison
			t.Fatalf("Now %v outside [%v, %v]", got, before, after)
		}
		if w := got.Round(0); w.Before(before.Round(0).Add(-time.Millisecond)) || w.After(after.Round(0).Add(time.Millisecond)) {
			t.Fatalf("wall clock %v outside [%v, %v]", w, before.Round(0), after.Round(0))
		}
		if got.Before(prev) {
			t.Fatalf("went back: %v after %v", got, prev)
		}
		prev = got
	}
}

// A base older than refresh is replaced, so a step of the wall clock shows
// within refresh. Here the base is an hour old, its wall clock an hour
// behind, as after a step forward.
func TestNowTakesANewBaseAfterRefresh(t *testing.T) {
	t.Cleanup(func() { Reset() })
	old := time.Now().Add(-time.Hour)
	base.Store(&old)
	got := Now()
	if d := time.Since(got); d < 0 || d > time.Minute {
		t.Fatalf("an hour-old base was kept: Now %v, %v ago", got, d)
	}
	if b := base.Load(); time.Since(*b) > time.Minute {
		t.Fatalf("the base was not replaced: %v", *b)
	}
}

func TestSleep(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) || !Sleep(context.Background(), 0) {
		t.Fatal("a live context's sleep said it was cut short")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if Sleep(ctx, time.Hour) || Sleep(ctx, 0) {
		t.Fatal("a done context's sleep said it waited")
	}
	if time.Since(start) > time.Second {
		t.Fatal("a done context's sleep waited")
	}
}
