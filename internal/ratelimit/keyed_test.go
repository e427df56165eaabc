package ratelimit

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// The shards' bounds add up to MaxKeys, and a flood of keys fills exactly that.
func TestKeyedHoldsExactlyMaxKeys(t *testing.T) {
	for _, maxKeys := range []int{1, 2, 63, 64, 100, 1000, 4097, 10000} {
		t.Run(strconv.Itoa(maxKeys), func(t *testing.T) {
			k := NewKeyed(maxKeys, func() *int { return new(int) })
			sum := 0
			for i := range k.shards {
				sum += k.shards[i].max
			}
			if sum != maxKeys {
				t.Fatalf("shard bounds add up to %d, want %d", sum, maxKeys)
			}
			for i := range 3*maxKeys + 100 {
				k.Get(strconv.Itoa(i))
			}
			if n := k.Len(); n != maxKeys {
				t.Fatalf("Len %d after a flood, want %d", n, maxKeys)
			}
		})
	}
	k := NewKeyed(0, func() int { return 0 })
	sum := 0
	for i := range k.shards {
		sum += k.shards[i].max
	}
	if sum != DefaultMaxKeys {
		t.Fatalf("maxKeys 0 holds %d keys, want DefaultMaxKeys", sum)
	}
}

// Past the bound, the least recently used key goes; Get marks a key used,
// Peek does not; a value is made once per stay.
func TestKeyedEvictsLeastRecentlyUsed(t *testing.T) {
	made := 0
	k := NewKeyed(3, func() int { made++; return made }) // one shard
	for _, key := range []string{"a", "b", "c"} {
		k.Get(key)
	}
	k.Get("a")  // b is now the least recently used
	k.Peek("b") // and stays so
	k.Get("d")
	if _, ok := k.Peek("b"); ok {
		t.Fatal("b held, want it evicted")
	}
	for _, key := range []string{"a", "c", "d"} {
		if _, ok := k.Peek(key); !ok {
			t.Fatalf("%s evicted", key)
		}
	}
	if v := k.Get("a"); v != 1 || made != 4 {
		t.Fatalf("a = %d after %d made, want the first value and 4 made", v, made)
	}
	if v := k.Get("b"); v != 5 {
		t.Fatalf("b back = %d, want a new value 5", v)
	}
}

// A million distinct keys through a Limiter: the keys held never exceed the
// bound and the heap stays flat.
func TestFloodOfKeysKeepsMemoryFlat(t *testing.T) {
	for _, tc := range []struct {
		a    Algorithm
		keys int
	}{{TokenBucket, 1_000_000}, {SlidingWindow, 250_000}} { // the store is the same; -race makes a million slow
		t.Run(tc.a.String(), func(t *testing.T) {
			var c fakeClock
			l := newLimiter(t, tc.a, 10, time.Second, 5, &c)
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			ctx := context.Background()
			key := make([]byte, 0, 32)
			for i := range tc.keys {
				key = strconv.AppendInt(append(key[:0], "client-"...), int64(i), 10)
				if _, ok, _ := l.Reserve(ctx, string(key), 0); !ok {
					t.Fatalf("new key %s refused", key)
				}
				if i%1000 == 999 {
					if n := l.Len(); n > DefaultMaxKeys {
						t.Fatalf("%d keys held after %d, bound %d", n, i+1, DefaultMaxKeys)
					}
					c.advance(time.Millisecond)
				}
			}
			if n := l.Len(); n != DefaultMaxKeys {
				t.Fatalf("%d keys held, want %d", n, DefaultMaxKeys)
			}
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			t.Logf("heap grew by %d KiB for %d keys (%d B a key)", grown>>10, DefaultMaxKeys, grown/DefaultMaxKeys)
			if grown > 16<<20 {
				t.Fatalf("heap grew by %d MiB, want under 16", grown>>20)
			}
			runtime.KeepAlive(l)
		})
	}
}
