// Package brokersub holds what gox's contrib broker backends (Kafka, NATS,
// RabbitMQ) have in common around their own engine: the broker.Subscriber
// bookkeeping — one session per topic and group, shared by its
// subscriptions, ended by the last Unsubscribe or at Close —, the checks a
// Publish makes before any I/O, and the headers that turn a message into a
// dead letter and back. It talks to no server; each backend brings the
// session it opens (a Kafka group member, a JetStream pull, an AMQP
// channel).
package brokersub

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/goxkit/gox/broker"
)

// Backend is what each contrib broker implements: the broker contract,
// explicit subscriptions and dead letters.
type Backend interface {
	broker.Backend
	broker.Subscriber
	broker.DeadLetters
}

// Subs keeps a backend's subscription sessions of type S. It is safe for
// concurrent use.
type Subs[S any] struct {
	open     func(ctx context.Context, topic, group string) (S, error)
	end      func(S)
	sessions broker.Sessions[S]
	closed   atomic.Bool
}

// New returns a Subs that opens a session with open the first time a topic
// and group is subscribed or received from, and ends it with end after the
// last Unsubscribe, at Close, or when two callers opened one at once (the
// spare).
func New[S any](open func(ctx context.Context, topic, group string) (S, error), end func(S)) *Subs[S] {
	return &Subs[S]{open: open, end: end}
}

// Subscribe implements broker.Subscriber: it opens the session of topic and
// group if there is none and counts one more subscription on it; the error
// is open's.
func (s *Subs[S]) Subscribe(ctx context.Context, topic, group string) error {
	_, err := s.get(ctx, topic, group, true)
	return err
}

// Unsubscribe implements broker.Subscriber: the last subscription of topic
// and group ends its session.
func (s *Subs[S]) Unsubscribe(_ context.Context, topic, group string) error {
	if ses, last := s.sessions.Release(topic, group); last {
		s.end(ses)
	}
	return nil
}

// Session returns the session of topic and group for a Receive, opening one
// (not counted as a subscription) if there is none. After Close it returns
// broker.ErrClosed.
func (s *Subs[S]) Session(ctx context.Context, topic, group string) (S, error) {
	return s.get(ctx, topic, group, false)
}

func (s *Subs[S]) get(ctx context.Context, topic, group string, hold bool) (S, error) {
	return s.sessions.Get(topic, group, hold, func() (S, error) { return s.open(ctx, topic, group) }, s.end)
}

// Close ends every session and refuses new ones. It returns true the first
// time, false when Subs was closed already, so that a backend's Close runs
// its own shutdown once.
func (s *Subs[S]) Close() bool {
	if s.closed.Swap(true) {
		return false
	}
	for _, ses := range s.sessions.Close() {
		s.end(ses)
	}
	return true
}

// Closed reports whether Close was called.
func (s *Subs[S]) Closed() bool { return s.closed.Load() }

// Prepare checks a Publish before any I/O — the message (broker.Prepare
// fills its id and time), its body against maxBytes — and returns the
// publish options applied. Errors name the backend (as in "kafka"), the
// topic and the message.
func Prepare(backend, topic string, msg *broker.Message, maxBytes int, opts []broker.PublishOption) (broker.PublishOptions, error) {
	var o broker.PublishOptions
	if err := broker.Prepare(topic, msg); err != nil {
		return o, err
	}
	if len(msg.Body) > maxBytes {
		return o, fmt.Errorf("%s: publish to %s: message %s is %d bytes, over the limit of %d", backend, topic, msg.ID, len(msg.Body), maxBytes)
	}
	for _, f := range opts {
		f(&o)
	}
	return o, nil
}

// DeadLetterHeaders returns a copy of a message's own headers with those a
// dead letter adds: why its handler gave up (when cause is not nil), after
// how many attempts, and in which group.
func DeadLetterHeaders(own map[string]string, cause error, attempts int, group string) map[string]string {
	h := make(map[string]string, len(own)+3)
	for k, v := range own {
		h[k] = v
	}
	if cause != nil {
		h[broker.HeaderError] = cause.Error()
	}
	h[broker.HeaderAttempts] = strconv.Itoa(attempts)
	h[broker.HeaderGroup] = group
	return h
}

// Letter reads back a dead letter of group stored at the given time as m,
// its headers those of DeadLetterHeaders besides its own: it takes those
// headers out of m and sets m's attempt to the count they held.
func Letter(m *broker.Message, group string, at time.Time) broker.DeadLetter {
	l := broker.DeadLetter{Group: group, Error: m.Headers[broker.HeaderError], At: at}
	l.Attempts, _ = strconv.Atoi(m.Headers[broker.HeaderAttempts])
	for _, k := range []string{broker.HeaderError, broker.HeaderAttempts, broker.HeaderGroup} {
		delete(m.Headers, k)
	}
	m.Attempt = l.Attempts
	l.Message = *m
	return l
}

// Replay hands send each of letters whose id (as id reads it) is among
// ids, in the order of letters and each id once, and stops at the first
// error; it returns how many were sent.
func Replay[L any](letters []L, ids []string, id func(L) string, send func(L) error) (int, error) {
	wanted := make(map[string]bool, len(ids))
	for _, i := range ids {
		wanted[i] = true
	}
	n := 0
	for _, l := range letters {
		if !wanted[id(l)] {
			continue
		}
		if err := send(l); err != nil {
			return n, err
		}
		n++
		delete(wanted, id(l))
	}
	return n, nil
}
