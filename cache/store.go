// Package cache is gox's cache: a byte-level Store contract that every
// backend implements (the in-process Memory store here, Redis in
// contrib/cache/redis), and Cache[T], a typed layer over any Store with a codec,
// default TTL with jitter, a value size limit, negative caching and GetOrLoad,
// where concurrent misses on one key call the loader once.
//
// A Store's methods (Contains, Delete, Fetch, FetchMulti, Flush, Save) take
// a context first:
//
//	store, _ := cache.NewMemory(cache.DefaultMemoryConfig())
//	users := cache.New[User](store,
//		cache.WithTTL(5*time.Minute))
//	u, err := users.GetOrLoad(ctx, "user:7", func(ctx context.Context) (User, error) {
//		return repo.Find(ctx, 7)
//	})
package cache

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by Fetch for a key that is absent or expired, and
// may be returned by a loader to say that the value does not exist (then
// negative caching, when enabled, remembers that).
var ErrNotFound = errors.New("cache: not found")

// Store is what a cache backend implements: bytes in, bytes out. Keys are
// used as given; a backend shared between applications adds its own prefix.
type Store interface {
	// Fetch returns the value of key, or ErrNotFound.
	Fetch(ctx context.Context, key string) ([]byte, error)
	// FetchMulti returns the values of the keys that exist; absent keys are
	// not in the map.
	FetchMulti(ctx context.Context, keys []string) (map[string][]byte, error)
	// Contains reports whether key exists.
	Contains(ctx context.Context, key string) (bool, error)
	// Save stores value under key for ttl; ttl <= 0 keeps it until evicted.
	Save(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes the keys; absent keys are not an error.
	Delete(ctx context.Context, keys ...string) error
	// Flush removes every key of this store, and only those: on a shared
	// server, only the keys under this store's prefix.
	Flush(ctx context.Context) error
}
