package ratelimit

import (
	"container/list"
	"hash/maphash"
	"sync"
)

// DefaultMaxKeys is how many keys a Keyed holds when not told otherwise.
const DefaultMaxKeys = 10000

const (
	maxShards = 32
	// minShardKeys keeps shards large enough for per-shard recency to be a
	// fair stand-in for global recency: small bounds get fewer shards.
	minShardKeys = 64
)

// Keyed maps keys to values made on first use, holding at most MaxKeys of
// them: past the bound a new key evicts the least recently used key of its
// shard. It is safe for concurrent use; calls on keys of different shards do
// not share a lock.
type Keyed[V any] struct {
	shards []shard[V]
	mask   uint64
	seed   maphash.Seed
	newV   func() V
}

type shard[V any] struct {
	mu  sync.Mutex
	m   map[string]*list.Element // of *entry[V]
	lru list.List                // most recently used at the front
	max int
	_   [64]byte // keeps neighbouring shards' locks off one cache line
}

type entry[V any] struct {
	key string
	v   V
}

// NewKeyed returns a Keyed that makes the value of a new key with newV and
// holds at most maxKeys keys (DefaultMaxKeys if maxKeys <= 0).
func NewKeyed[V any](maxKeys int, newV func() V) *Keyed[V] {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	n := maxShards
	for n > 1 && maxKeys/n < minShardKeys {
		n /= 2
	}
	k := &Keyed[V]{shards: make([]shard[V], n), mask: uint64(n - 1), seed: maphash.MakeSeed(), newV: newV}
	for i := range k.shards {
		s := &k.shards[i]
		s.max = maxKeys / n // the shards' bounds add up to maxKeys exactly
		if i < maxKeys%n {
			s.max++
		}
		s.m = make(map[string]*list.Element)
	}
	return k
}

// Get returns the value of key, making it if key is new (evicting if the
// shard is full), and marks key as the most recently used.
func (k *Keyed[V]) Get(key string) V {
	s := k.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.m[key]; ok {
		s.lru.MoveToFront(el)
		return el.Value.(*entry[V]).v
	}
	v := k.newV()
	if s.lru.Len() < s.max {
		s.m[key] = s.lru.PushFront(&entry[V]{key: key, v: v})
		return v
	}
	// Reuse the evicted key's element and entry: a flood of new keys then
	// allocates only the new values.
	el := s.lru.Back()
	e := el.Value.(*entry[V])
	delete(s.m, e.key)
	e.key, e.v = key, v
	s.m[key] = el
	s.lru.MoveToFront(el)
	return v
}

// Peek returns the value of key if it is held, without making it or marking
// it used.
func (k *Keyed[V]) Peek(key string) (V, bool) {
	s := k.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.m[key]; ok {
		return el.Value.(*entry[V]).v, true
	}
	var zero V
	return zero, false
}

// Len returns how many keys are held.
func (k *Keyed[V]) Len() int {
	n := 0
	for i := range k.shards {
		s := &k.shards[i]
		s.mu.Lock()
		n += s.lru.Len()
		s.mu.Unlock()
	}
	return n
}

func (k *Keyed[V]) shard(key string) *shard[V] {
	return &k.shards[maphash.String(k.seed, key)&k.mask]
}
