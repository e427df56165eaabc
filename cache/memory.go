package cache

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"
)

// MemoryConfig configures the in-process store.
type MemoryConfig struct {
	// MaxEntries bounds the store; the least recently used entry goes first.
	MaxEntries int `yaml:"max_entries"`
}

// DefaultMemoryConfig holds 10,000 entries.
func DefaultMemoryConfig() MemoryConfig { return MemoryConfig{MaxEntries: 10000} }

// Memory is a bounded LRU Store with a TTL per entry, for one process. It
// keeps what it is given: Save copies the value, and the slices Fetch returns
// must not be modified.
type Memory struct {
	mu    sync.Mutex
	max   int
	ll    *list.List // front = most recently used
	items map[string]*list.Element
	now   func() time.Time
}

type memEntry struct {
	key     string
	value   []byte
	expires time.Time // zero: never
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty store; MaxEntries <= 0 is refused.
func NewMemory(c MemoryConfig) (*Memory, error) {
	if c.MaxEntries <= 0 {
		return nil, fmt.Errorf("cache: max_entries must be positive, got %d", c.MaxEntries)
	}
	return &Memory{max: c.MaxEntries, ll: list.New(), items: map[string]*list.Element{}, now: time.Now}, nil
}

// get returns the live element of key, dropping it when expired. mu is held.
func (m *Memory) get(key string) *list.Element {
	el, ok := m.items[key]
	if !ok {
		return nil
	}
	e := el.Value.(*memEntry)
	if !e.expires.IsZero() && !m.now().Before(e.expires) {
		m.ll.Remove(el)
		delete(m.items, key)
		return nil
	}
	return el
}

// Fetch implements Store.
func (m *Memory) Fetch(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el := m.get(key)
	if el == nil {
		return nil, ErrNotFound
	}
	m.ll.MoveToFront(el)
	return el.Value.(*memEntry).value, nil
}

// FetchMulti implements Store.
func (m *Memory) FetchMulti(_ context.Context, keys []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(keys))
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if el := m.get(k); el != nil {
			m.ll.MoveToFront(el)
			out[k] = el.Value.(*memEntry).value
		}
	}
	return out, nil
}

// Contains implements Store.
func (m *Memory) Contains(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.get(key) != nil, nil
}

// Save implements Store.
func (m *Memory) Save(_ context.Context, key string, value []byte, ttl time.Duration) error {
	e := &memEntry{key: key, value: append([]byte(nil), value...)}
	if ttl > 0 {
		e.expires = m.now().Add(ttl)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok {
		el.Value = e
		m.ll.MoveToFront(el)
		return nil
	}
	m.items[key] = m.ll.PushFront(e)
	for m.ll.Len() > m.max {
		last := m.ll.Back()
		m.ll.Remove(last)
		delete(m.items, last.Value.(*memEntry).key)
	}
	return nil
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if el, ok := m.items[k]; ok {
			m.ll.Remove(el)
			delete(m.items, k)
		}
	}
	return nil
}

// Flush implements Store.
func (m *Memory) Flush(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ll.Init()
	clear(m.items)
	return nil
}

// Len returns the number of entries, expired ones not yet dropped included.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ll.Len()
}
