// Package configtest holds test helpers for config.Source implementations:
// Memory, an in-memory source, and Run, the contract suite every source
// (contrib/config/consul, contrib/config/etcd) passes against its real
// store. It does not belong in production code.
package configtest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/goxkit/gox/config"
)

// Memory is a config.Source holding its document in memory: Set changes it,
// Delete removes it and SetUnreachable makes Read and Watch fail as a store
// that went away does. The zero value is not usable; use NewMemory.
type Memory struct {
	name string

	mu          sync.Mutex
	doc         []byte
	exists      bool
	unreachable bool
	notify      chan struct{} // closed and replaced on every change
}

var _ config.Source = (*Memory)(nil)

// NewMemory returns a source named name (its String) holding doc.
func NewMemory(name, doc string) *Memory {
	return &Memory{name: name, doc: []byte(doc), exists: true, notify: make(chan struct{})}
}

// String names the source.
func (m *Memory) String() string { return m.name }

// Set replaces the document.
func (m *Memory) Set(doc string) { m.update(func() { m.doc, m.exists = []byte(doc), true }) }

// Delete removes the document: Read fails until the next Set.
func (m *Memory) Delete() { m.update(func() { m.doc, m.exists = nil, false }) }

// SetUnreachable makes the store unreachable (Read and Watch fail with
// config.ErrUnreachable) or reachable again.
func (m *Memory) SetUnreachable(down bool) { m.update(func() { m.unreachable = down }) }

func (m *Memory) update(f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f()
	close(m.notify)
	m.notify = make(chan struct{})
}

// Read returns the document.
func (m *Memory) Read(ctx context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.unreachable:
		return nil, fmt.Errorf("memory store: %w", config.ErrUnreachable)
	case !m.exists:
		return nil, errors.New("no such key")
	}
	return append([]byte(nil), m.doc...), ctx.Err()
}

// Watch calls changed after every Set and Delete until ctx ends; it fails
// while the store is unreachable, and when it becomes so.
func (m *Memory) Watch(ctx context.Context, changed func()) error {
	m.mu.Lock()
	down := m.unreachable
	m.mu.Unlock()
	if !down {
		changed()
	}
	for {
		m.mu.Lock()
		down, next := m.unreachable, m.notify
		m.mu.Unlock()
		if down {
			return fmt.Errorf("memory store: watch: %w", config.ErrUnreachable)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-next:
			m.mu.Lock()
			down = m.unreachable
			m.mu.Unlock()
			if !down {
				changed()
			}
		}
	}
}
