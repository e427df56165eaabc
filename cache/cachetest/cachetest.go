// Package cachetest is the contract every cache.Store passes: the memory store
// runs it in core, the Redis store in contrib/cache/redis against a real server.
// A new backend calls Run from its tests.
package cachetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/cache"
)

// NewStore returns an empty store. Two stores made with different namespaces
// on one backend must not see each other's keys, and Flush on one must leave
// the other's keys alone.
type NewStore func(t *testing.T, namespace string) cache.Store

// Run runs the contract against stores from newStore.
func Run(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	t.Run("MissIsErrNotFound", func(t *testing.T) {
		s := newStore(t, "miss")
		if _, err := s.Fetch(ctx, "absent"); !errors.Is(err, cache.ErrNotFound) {
			t.Fatalf("Fetch of an absent key: %v, want ErrNotFound", err)
		}
		if ok, err := s.Contains(ctx, "absent"); ok || err != nil {
			t.Fatalf("Contains of an absent key: %v %v", ok, err)
		}
	})
	t.Run("SaveFetchOverwrite", func(t *testing.T) {
		s := newStore(t, "save")
		for _, v := range [][]byte{[]byte("one"), {0, 0xff, '\n', 0}, {}, []byte(strings.Repeat("x", 1<<20))} {
			must(t, s.Save(ctx, "k", v, time.Minute))
			got, err := s.Fetch(ctx, "k")
			if err != nil || string(got) != string(v) {
				t.Fatalf("Fetch after Save of %d bytes: %d bytes, %v", len(v), len(got), err)
			}
		}
		if ok, err := s.Contains(ctx, "k"); !ok || err != nil {
			t.Fatalf("Contains after Save: %v %v", ok, err)
		}
	})
	t.Run("SaveCopiesTheValue", func(t *testing.T) {
		s := newStore(t, "copy")
		v := []byte("abc")
		must(t, s.Save(ctx, "k", v, time.Minute))
		v[0] = 'X'
		if got, _ := s.Fetch(ctx, "k"); string(got) != "abc" {
			t.Fatalf("the store kept the caller's slice: %q", got)
		}
	})
	t.Run("TTL", func(t *testing.T) {
		s := newStore(t, "ttl")
		must(t, s.Save(ctx, "short", []byte("v"), 200*time.Millisecond))
		must(t, s.Save(ctx, "forever", []byte("v"), 0))
		if _, err := s.Fetch(ctx, "short"); err != nil {
			t.Fatalf("Fetch before expiry: %v", err)
		}
		time.Sleep(400 * time.Millisecond)
		if _, err := s.Fetch(ctx, "short"); !errors.Is(err, cache.ErrNotFound) {
			t.Fatalf("Fetch after expiry: %v, want ErrNotFound", err)
		}
		if ok, _ := s.Contains(ctx, "short"); ok {
			t.Fatal("Contains after expiry: true")
		}
		if _, err := s.Fetch(ctx, "forever"); err != nil {
			t.Fatalf("a key saved with ttl 0 expired: %v", err)
		}
	})
	t.Run("FetchMulti", func(t *testing.T) {
		s := newStore(t, "multi")
		must(t, s.Save(ctx, "a", []byte("1"), time.Minute))
		must(t, s.Save(ctx, "c", []byte("3"), time.Minute))
		got, err := s.FetchMulti(ctx, []string{"a", "b", "c"})
		if err != nil || len(got) != 2 || string(got["a"]) != "1" || string(got["c"]) != "3" {
			t.Fatalf("FetchMulti: %q %v", got, err)
		}
		if _, present := got["b"]; present {
			t.Fatal("an absent key is in the FetchMulti result")
		}
		if got, err := s.FetchMulti(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("FetchMulti of no keys: %v %v", got, err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		s := newStore(t, "del")
		must(t, s.Save(ctx, "a", []byte("1"), time.Minute))
		must(t, s.Save(ctx, "b", []byte("2"), time.Minute))
		must(t, s.Save(ctx, "c", []byte("3"), time.Minute))
		must(t, s.Delete(ctx, "a", "b", "absent"))
		if got, _ := s.FetchMulti(ctx, []string{"a", "b", "c"}); len(got) != 1 || string(got["c"]) != "3" {
			t.Fatalf("after Delete(a, b): %q", got)
		}
		must(t, s.Delete(ctx))
	})
	t.Run("FlushOnlyOwnKeys", func(t *testing.T) {
		mine, theirs := newStore(t, "flush-mine"), newStore(t, "flush-theirs")
		for i := range 50 {
			k := fmt.Sprintf("k%d", i)
			must(t, mine.Save(ctx, k, []byte("m"), time.Minute))
			must(t, theirs.Save(ctx, k, []byte("t"), time.Minute))
		}
		must(t, mine.Flush(ctx))
		if ok, _ := mine.Contains(ctx, "k7"); ok {
			t.Fatal("a key survived Flush")
		}
		if got, err := theirs.Fetch(ctx, "k7"); err != nil || string(got) != "t" {
			t.Fatalf("Flush of one namespace removed another's key: %q %v", got, err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		s := newStore(t, "conc")
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 200 {
					k := fmt.Sprintf("k%d", (g*7+i)%20)
					_ = s.Save(ctx, k, []byte(k), time.Minute)
					if v, err := s.Fetch(ctx, k); err == nil && string(v) != k {
						t.Errorf("key %s holds %q", k, v)
					}
				}
			})
		}
		wg.Wait()
	})
	t.Run("Typed", func(t *testing.T) { runTyped(t, newStore) })
}

type user struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func runTyped(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	t.Run("GetOrLoadCallsTheLoaderOnceFor1000Misses", func(t *testing.T) {
		c := cache.New[user](newStore(t, "sf"))
		var calls atomic.Int32
		release := make(chan struct{})
		load := func(context.Context) (user, error) {
			calls.Add(1)
			<-release // hold the flight open until every caller has missed
			return user{ID: 7, Name: "ann"}, nil
		}
		var wg sync.WaitGroup
		var started sync.WaitGroup
		errs := make(chan error, 1000)
		for range 1000 {
			started.Add(1)
			wg.Go(func() {
				started.Done()
				u, err := c.GetOrLoad(ctx, "user:7", load)
				if err == nil && u.Name != "ann" {
					err = fmt.Errorf("got %+v", u)
				}
				if err != nil {
					errs <- err
				}
			})
		}
		started.Wait()
		time.Sleep(100 * time.Millisecond) // let the goroutines reach the flight
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := calls.Load(); n != 1 {
			t.Fatalf("loader called %d times for 1000 concurrent misses, want 1", n)
		}
		if u, err := c.Fetch(ctx, "user:7"); err != nil || u.ID != 7 {
			t.Fatalf("the loaded value was not cached: %+v %v", u, err)
		}
	})
	t.Run("GetOrLoadNaturalRaceLoadsOncePerKey", func(t *testing.T) {
		c := cache.New[int](newStore(t, "race"))
		var calls atomic.Int32
		load := func(context.Context) (int, error) { calls.Add(1); time.Sleep(time.Millisecond); return 1, nil }
		const rounds = 20
		for r := range rounds {
			var wg sync.WaitGroup
			for range 1000 { // no barrier: late callers arrive after the first flight stored the value
				wg.Go(func() {
					if _, err := c.GetOrLoad(ctx, fmt.Sprint("race:", r), load); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		if n := calls.Load(); n != rounds {
			t.Fatalf("loader called %d times for %d keys, want one call per key", n, rounds)
		}
	})
	t.Run("NegativeCaching", func(t *testing.T) {
		c := cache.New[user](newStore(t, "neg"), cache.WithNegativeTTL(time.Minute))
		var calls atomic.Int32
		load := func(context.Context) (user, error) { calls.Add(1); return user{}, cache.ErrNotFound }
		for range 3 {
			if _, err := c.GetOrLoad(ctx, "user:404", load); !errors.Is(err, cache.ErrNotFound) {
				t.Fatalf("GetOrLoad of an absent user: %v", err)
			}
		}
		if calls.Load() != 1 {
			t.Fatalf("loader called %d times, want 1 with negative caching", calls.Load())
		}
		if ok, _ := c.Contains(ctx, "user:404"); ok {
			t.Fatal("a remembered not-found counts as contained")
		}
		if got, _ := c.FetchMulti(ctx, []string{"user:404"}); len(got) != 0 {
			t.Fatalf("FetchMulti returned a remembered not-found: %v", got)
		}
	})
	t.Run("UndecodableIsReportedAndReplaced", func(t *testing.T) {
		s := newStore(t, "decode")
		must(t, s.Save(ctx, "user:1", []byte(`{"id":"not a number"}`), time.Minute))
		var reported []string
		c := cache.New[user](s, cache.WithErrorHandler(func(_ context.Context, key string, err error) {
			reported = append(reported, key+": "+err.Error())
		}))
		_, err := c.Fetch(ctx, "user:1")
		var de *cache.DecodeError
		if !errors.As(err, &de) || de.Key != "user:1" {
			t.Fatalf("Fetch of an undecodable value: %v, want a DecodeError naming the key", err)
		}
		u, err := c.GetOrLoad(ctx, "user:1", func(context.Context) (user, error) { return user{ID: 1, Name: "bo"}, nil })
		if err != nil || u.Name != "bo" {
			t.Fatalf("GetOrLoad over an undecodable value: %+v %v", u, err)
		}
		if len(reported) != 1 || !strings.Contains(reported[0], `key "user:1"`) {
			t.Fatalf("reported: %q", reported)
		}
		if u, err := c.Fetch(ctx, "user:1"); err != nil || u.Name != "bo" {
			t.Fatalf("the undecodable value was not replaced: %+v %v", u, err)
		}
	})
	t.Run("TooLarge", func(t *testing.T) {
		c := cache.New[string](newStore(t, "large"), cache.WithMaxValueBytes(100))
		err := c.Save(ctx, "big", strings.Repeat("x", 200))
		var tl *cache.TooLargeError
		if !errors.As(err, &tl) || tl.Key != "big" || tl.Size != 202 || !strings.Contains(err.Error(), "over the limit of 100") {
			t.Fatalf("Save of 202 bytes over a 100-byte limit: %v", err)
		}
		if ok, _ := c.Contains(ctx, "big"); ok {
			t.Fatal("a refused value was stored")
		}
		v, err := c.GetOrLoad(ctx, "big", func(context.Context) (string, error) { return strings.Repeat("y", 200), nil })
		if err != nil || len(v) != 200 {
			t.Fatalf("GetOrLoad must return a loaded value it cannot cache: %d %v", len(v), err)
		}
	})
	t.Run("LoaderErrorIsNotCached", func(t *testing.T) {
		c := cache.New[int](newStore(t, "lerr"))
		boom := errors.New("db down")
		if _, err := c.GetOrLoad(ctx, "n", func(context.Context) (int, error) { return 0, boom }); !errors.Is(err, boom) {
			t.Fatalf("loader error: %v", err)
		}
		if v, err := c.GetOrLoad(ctx, "n", func(context.Context) (int, error) { return 5, nil }); err != nil || v != 5 {
			t.Fatalf("after a failed load: %v %v", v, err)
		}
	})
	t.Run("LoaderPanicIsAnError", func(t *testing.T) {
		c := cache.New[int](newStore(t, "panic"))
		_, err := c.GetOrLoad(ctx, "p", func(context.Context) (int, error) { panic("boom") })
		if err == nil || !strings.Contains(err.Error(), `loader of key "p" panicked: boom`) {
			t.Fatalf("loader panic: %v", err)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
