package cache_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/goxkit/gox/cache"
	"github.com/goxkit/gox/cache/cachetest"
)

func TestMemoryContract(t *testing.T) {
	cachetest.Run(t, func(t *testing.T, _ string) cache.Store {
		m, err := cache.NewMemory(cache.DefaultMemoryConfig())
		if err != nil {
			t.Fatal(err)
		}
		return m
	})
}

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	m, _ := cache.NewMemory(cache.MemoryConfig{MaxEntries: 3})
	for i := range 3 {
		_ = m.Save(ctx, fmt.Sprint(i), []byte("v"), 0)
	}
	_, _ = m.Fetch(ctx, "0") // 0 is now the most recently used; 1 the least
	_ = m.Save(ctx, "3", []byte("v"), 0)
	if _, err := m.Fetch(ctx, "1"); !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("least recently used entry not evicted: %v", err)
	}
	for _, k := range []string{"0", "2", "3"} {
		if _, err := m.Fetch(ctx, k); err != nil {
			t.Fatalf("key %s evicted: %v", k, err)
		}
	}
	if m.Len() != 3 {
		t.Fatalf("len %d, want 3", m.Len())
	}
}

func TestMemoryRejectsBadConfig(t *testing.T) {
	if _, err := cache.NewMemory(cache.MemoryConfig{}); err == nil || err.Error() != "cache: max_entries must be positive, got 0" {
		t.Fatalf("err %v", err)
	}
}

// ttls records the TTL of every Save.
type ttls struct {
	cache.Store
	got []time.Duration
}

func (s *ttls) Save(_ context.Context, _ string, _ []byte, ttl time.Duration) error {
	s.got = append(s.got, ttl)
	return nil
}

func TestJitterShortensTTL(t *testing.T) {
	ctx := context.Background()
	s := &ttls{}
	c := cache.New[int](s, cache.WithTTL(300*time.Millisecond), cache.WithJitter(0.5))
	for i := range 200 {
		_ = c.Save(ctx, fmt.Sprint(i), i)
	}
	distinct := map[time.Duration]bool{}
	for _, ttl := range s.got {
		if ttl < 150*time.Millisecond || ttl > 300*time.Millisecond {
			t.Fatalf("TTL %v outside [150ms, 300ms] for TTL 300ms and jitter 0.5", ttl)
		}
		distinct[ttl] = true
	}
	if len(distinct) < 100 { // 200 draws from 150 million nanoseconds
		t.Fatalf("only %d distinct TTLs in 200 saves: entries would expire together", len(distinct))
	}
	_ = cache.New[int](s, cache.WithTTL(time.Second), cache.WithJitter(0)).Save(ctx, "k", 1)
	if got := s.got[len(s.got)-1]; got != time.Second {
		t.Fatalf("jitter 0 gave TTL %v, want exactly 1s", got)
	}
}

// down is a store whose every call fails, as a Redis that is down.
type down struct{ cache.Store }

var errDown = errors.New("connection refused")

func (down) Fetch(context.Context, string) ([]byte, error)             { return nil, errDown }
func (down) Save(context.Context, string, []byte, time.Duration) error { return errDown }

func TestGetOrLoadWhenTheStoreIsDown(t *testing.T) {
	ctx := context.Background()
	load := func(context.Context) (int, error) { return 42, nil }
	if _, err := cache.New[int](down{}).GetOrLoad(ctx, "k", load); !errors.Is(err, errDown) {
		t.Fatalf("without fallback: %v, want the store's error", err)
	}
	var reported int
	c := cache.New[int](down{}, cache.WithLoaderFallback(),
		cache.WithErrorHandler(func(context.Context, string, error) { reported++ }))
	if v, err := c.GetOrLoad(ctx, "k", load); err != nil || v != 42 {
		t.Fatalf("with fallback: %v %v, want the loaded 42", v, err)
	}
	if reported != 2 { // the failed fetch and the failed write-back
		t.Fatalf("%d errors reported, want 2", reported)
	}
}

func TestOneCallerGivingUpDoesNotFailTheOthers(t *testing.T) {
	m, _ := cache.NewMemory(cache.DefaultMemoryConfig())
	c := cache.New[int](m)
	release := make(chan struct{})
	load := func(ctx context.Context) (int, error) {
		<-release
		return 1, ctx.Err()
	}
	impatient, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := c.GetOrLoad(impatient, "k", load); first <- err }()
	time.Sleep(50 * time.Millisecond)
	second := make(chan error, 1)
	go func() { _, err := c.GetOrLoad(context.Background(), "k", load); second <- err }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("the canceled caller: %v", err)
	}
	close(release)
	if err := <-second; err != nil {
		t.Fatalf("the patient caller failed with the other's cancellation: %v", err)
	}
}
