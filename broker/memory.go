package broker

import (
	"container/list"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/goxkit/gox/internal/due"
)

// Memory is an in-process Backend for tests and single-process services. It
// is honest about what it is: messages live in this process's memory and are
// gone when it stops. Use the database backend (contrib/broker/dbbroker) for
// durability without a broker server.
type Memory struct {
	mu       sync.Mutex
	topics   map[string]*memTopic
	dead     map[[2]string][]DeadLetter // [topic, group]
	closed   bool
	maxBytes int
}

type memTopic struct {
	groups  map[string]*memGroup
	backlog []*memItem // published before any group existed: the first group takes them
}

type memGroup struct {
	items  *list.List // of *memItem, in publish order; due decides when
	notify chan struct{}
}

func newGroup(backlog []*memItem) *memGroup {
	g := &memGroup{items: list.New(), notify: make(chan struct{})}
	for _, it := range backlog {
		g.push(it)
	}
	return g
}

func (g *memGroup) push(it *memItem) { it.el = g.items.PushBack(it) }

type memItem struct {
	msg      Message
	due      time.Time
	inflight bool
	el       *list.Element
}

var _ interface {
	Backend
	DeadLetters
} = (*Memory)(nil)

// MemoryOption configures NewMemory.
type MemoryOption func(*Memory)

// WithMaxBytes makes Publish refuse a message whose body is over n bytes
// (default 1 MiB; n <= 0 keeps the default).
func WithMaxBytes(n int) MemoryOption {
	return func(m *Memory) {
		if n > 0 {
			m.maxBytes = n
		}
	}
}

// NewMemory returns an empty in-process broker.
func NewMemory(opts ...MemoryOption) *Memory {
	m := &Memory{topics: map[string]*memTopic{}, dead: map[[2]string][]DeadLetter{}, maxBytes: 1 << 20}
	for _, o := range opts {
		o(m)
	}
	return m
}

func (m *Memory) topic(name string) *memTopic {
	t, ok := m.topics[name]
	if !ok {
		t = &memTopic{groups: map[string]*memGroup{}}
		m.topics[name] = t
	}
	return t
}

func (g *memGroup) wake() {
	close(g.notify)
	g.notify = make(chan struct{})
}

// Publish implements Publisher.
func (m *Memory) Publish(_ context.Context, topic string, msg *Message, opts ...PublishOption) error {
	if err := Prepare(topic, msg); err != nil {
		return err
	}
	if len(msg.Body) > m.maxBytes {
		return fmt.Errorf("broker: publish to %s: message %s is %d bytes, over the limit of %d", topic, msg.ID, len(msg.Body), m.maxBytes)
	}
	var o PublishOptions
	for _, f := range opts {
		f(&o)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	t := m.topic(topic)
	due := time.Now().Add(o.Delay)
	if len(t.groups) == 0 {
		t.backlog = append(t.backlog, &memItem{msg: clone(msg), due: due})
		return nil
	}
	for _, g := range t.groups {
		g.push(&memItem{msg: clone(msg), due: due})
		g.wake()
	}
	return nil
}

func clone(m *Message) Message {
	c := *m
	c.Headers = maps.Clone(m.Headers)
	c.Body = slices.Clone(m.Body)
	c.Attempt = 1
	return c
}

// Receive implements Backend.
func (m *Memory) Receive(ctx context.Context, topic, group string) (Delivery, error) {
	var wait due.Waiter
	defer wait.Stop()
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return nil, ErrClosed
		}
		t := m.topic(topic)
		g, ok := t.groups[group]
		if !ok {
			g = newGroup(t.backlog)
			t.backlog = nil
			t.groups[group] = g
		}
		now := time.Now()
		var next time.Time
		for el := g.items.Front(); el != nil; el = el.Next() {
			it := el.Value.(*memItem)
			if it.inflight {
				continue
			}
			if !it.due.After(now) {
				it.inflight = true
				m.mu.Unlock()
				return &memDelivery{m: m, topic: topic, group: group, g: g, it: it}, nil
			}
			if next.IsZero() || it.due.Before(next) {
				next = it.due
			}
		}
		notify := g.notify
		m.mu.Unlock()
		if err := wait.Wait(ctx, notify, next); err != nil {
			return nil, err
		}
	}
}

// Close implements Backend; waiting receivers return ErrClosed.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		for _, t := range m.topics {
			for _, g := range t.groups {
				g.wake()
			}
		}
	}
	return nil
}

type memDelivery struct {
	m       *Memory
	topic   string
	group   string
	g       *memGroup
	it      *memItem
	settled bool
}

func (d *memDelivery) Message() *Message {
	c := d.it.msg
	return &c
}

// settle removes the item from the group; false if it was settled already.
func (d *memDelivery) settle() bool {
	if d.settled {
		return false
	}
	d.settled = true
	d.g.items.Remove(d.it.el)
	return true
}

func (d *memDelivery) Ack(context.Context) error {
	d.m.mu.Lock()
	defer d.m.mu.Unlock()
	if !d.settle() {
		return fmt.Errorf("broker: message %s settled twice", d.it.msg.ID)
	}
	return nil
}

func (d *memDelivery) Retry(_ context.Context, delay time.Duration, _ error) error {
	d.m.mu.Lock()
	defer d.m.mu.Unlock()
	if !d.settle() {
		return fmt.Errorf("broker: message %s settled twice", d.it.msg.ID)
	}
	next := &memItem{msg: d.it.msg, due: time.Now().Add(delay)}
	next.msg.Attempt++
	d.g.push(next)
	d.g.wake()
	return nil
}

func (d *memDelivery) DeadLetter(_ context.Context, cause error) error {
	d.m.mu.Lock()
	defer d.m.mu.Unlock()
	if !d.settle() {
		return fmt.Errorf("broker: message %s settled twice", d.it.msg.ID)
	}
	msg := d.it.msg
	errText := ""
	if cause != nil {
		errText = cause.Error()
	}
	key := [2]string{d.topic, d.group}
	d.m.dead[key] = append(d.m.dead[key], DeadLetter{Message: msg, Group: d.group, Error: errText, Attempts: msg.Attempt, At: time.Now()})
	return nil
}

// ListDeadLetters implements DeadLetters.
func (m *Memory) ListDeadLetters(_ context.Context, topic, group string, limit int) ([]DeadLetter, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dl := m.dead[[2]string{topic, group}]
	if limit > 0 && len(dl) > limit {
		dl = dl[:limit]
	}
	return slices.Clone(dl), nil
}

// Replay implements DeadLetters.
func (m *Memory) Replay(_ context.Context, topic, group string, ids ...string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := [2]string{topic, group}
	t := m.topic(topic)
	g, ok := t.groups[group]
	if !ok {
		g = newGroup(nil)
		t.groups[group] = g
	}
	n := 0
	m.dead[key] = slices.DeleteFunc(m.dead[key], func(d DeadLetter) bool {
		if !slices.Contains(ids, d.Message.ID) {
			return false
		}
		msg := d.Message
		msg.Attempt = 1
		g.push(&memItem{msg: msg, due: time.Now()})
		n++
		return true
	})
	if n > 0 {
		g.wake()
	}
	return n, nil
}
