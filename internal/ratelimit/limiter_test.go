package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewRejectsBadParams(t *testing.T) {
	for _, tc := range []struct {
		a            Algorithm
		limit, burst int
		per          time.Duration
	}{
		{TokenBucket, 0, 1, time.Second},
		{TokenBucket, 1, 1, 0},
		{TokenBucket, 1, 0, time.Second},
		{SlidingWindow, -1, 1, time.Second},
		{SlidingWindow, 1 << 31, 1, time.Second},
		{Algorithm(7), 1, 1, time.Second},
	} {
		if _, err := New(tc.a, tc.limit, tc.per, tc.burst, 0, nil); err == nil {
			t.Errorf("New(%s, %d per %s, burst %d) = nil error", tc.a, tc.limit, tc.per, tc.burst)
		}
	}
	if _, err := New(SlidingWindow, 5, time.Second, 0, 0, nil); err != nil {
		t.Errorf("a window with burst 0: %v (burst does not apply)", err)
	}
}

// However many calls are refused, the next admission comes exactly when the
// first refusal's Retry-After said, and the limit left is as it was.
func TestRefusedReserveDoesNotConsume(t *testing.T) {
	for _, a := range []Algorithm{TokenBucket, SlidingWindow} {
		t.Run(a.String(), func(t *testing.T) {
			var c fakeClock
			l := newLimiter(t, a, 10, time.Second, 10, &c)
			for range 10 {
				reserve(t, l, "k", 0)
			}
			c.advance(30 * time.Millisecond)
			left, _ := l.Tokens("k")
			retry, ok := reserve(t, l, "k", 0)
			if ok {
				t.Fatal("11th call admitted")
			}
			for range 1000 {
				if again, ok := reserve(t, l, "k", retry-time.Millisecond); ok || again != retry {
					t.Fatalf("a refusal moved the limit: (%v, %v), want (%v, false)", again, ok, retry)
				}
			}
			if now, _ := l.Tokens("k"); now != left {
				t.Fatalf("Tokens %v after refusals, want %v", now, left)
			}
			c.advance(retry)
			if wait, ok := reserve(t, l, "k", 0); !ok || wait != 0 {
				t.Fatalf("at the Retry-After: (%v, %v), want admitted at once", wait, ok)
			}
		})
	}
}

func TestTokensAndLen(t *testing.T) {
	for _, tc := range []struct {
		a    Algorithm
		want []float64 // Tokens after 0, 1, ... calls
	}{
		{TokenBucket, []float64{5, 4, 3, 2, 1, 0, -1}}, // burst 5, the 7th call queued
		{SlidingWindow, []float64{10, 9, 8, 7}},
	} {
		t.Run(tc.a.String(), func(t *testing.T) {
			var c fakeClock
			l := newLimiter(t, tc.a, 10, time.Second, 5, &c)
			if _, ok := l.Tokens("k"); ok || l.Len() != 0 {
				t.Fatal("a key never seen is held")
			}
			for i, want := range tc.want {
				if i > 0 {
					reserve(t, l, "k", time.Second)
				}
				if got, ok := l.Tokens("k"); i > 0 && (!ok || got != want) {
					t.Fatalf("after %d calls Tokens = %v, %v; want %v", i, got, ok, want)
				}
			}
			reserve(t, l, "other", 0)
			if n := l.Len(); n != 2 {
				t.Fatalf("Len %d, want 2", n)
			}
		})
	}
}

// A key evicted by the bound starts afresh: the documented cost of the bound.
func TestEvictedKeyStartsAfresh(t *testing.T) {
	for _, a := range []Algorithm{TokenBucket, SlidingWindow} {
		t.Run(a.String(), func(t *testing.T) {
			var c fakeClock
			l, err := New(a, 2, time.Hour, 2, 1, c.now)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for range 2 {
				l.Reserve(ctx, "a", 0)
			}
			if _, ok, _ := l.Reserve(ctx, "a", 0); ok {
				t.Fatal("a admitted past its limit")
			}
			l.Reserve(ctx, "b", 0) // evicts a
			if _, ok, _ := l.Reserve(ctx, "a", 0); !ok {
				t.Fatal("a refused after eviction, want a fresh limit")
			}
		})
	}
}

// Many goroutines on many keys at one instant: each key admits exactly its
// burst (bucket) or limit (window), whatever the interleaving; and with a
// bound far below the keys, the store stays within it (run with -race).
func TestConcurrentKeys(t *testing.T) {
	const goroutines, calls, keys = 16, 2000, 50
	for _, tc := range []struct {
		a    Algorithm
		want int64
	}{{TokenBucket, 5}, {SlidingWindow, 10}} {
		t.Run(tc.a.String(), func(t *testing.T) {
			var c fakeClock
			l := newLimiter(t, tc.a, 10, time.Second, 5, &c)
			var admitted [keys]atomic.Int64
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range calls {
						k := (g + i) % keys
						if _, ok, _ := l.Reserve(context.Background(), "key-"+strconv.Itoa(k), 0); ok {
							admitted[k].Add(1)
						}
					}
				})
			}
			wg.Wait()
			for k := range admitted {
				if n := admitted[k].Load(); n != tc.want {
					t.Fatalf("key %d admitted %d calls, want %d", k, n, tc.want)
				}
			}

			small, err := New(tc.a, 10, time.Second, 5, 100, c.now)
			if err != nil {
				t.Fatal(err)
			}
			for g := range goroutines {
				wg.Go(func() {
					for i := range calls {
						small.Reserve(context.Background(), fmt.Sprint(g, "-", i%300), time.Second)
						if i%100 == 0 {
							c.advance(time.Millisecond)
							small.Tokens(fmt.Sprint(g, "-", i%300))
						}
					}
				})
			}
			wg.Wait()
			if n := small.Len(); n != 100 {
				t.Fatalf("Len %d, want the bound 100", n)
			}
		})
	}
}
