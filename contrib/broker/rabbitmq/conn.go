package rabbitmq

import (
	"context"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/goxkit/gox/broker"
)

// session is one connection and its confirming publish channel.
type session struct {
	conn *amqp.Connection
	own  bool // the backend dialled conn: it closes it
	pub  *amqp.Channel

	mu       sync.Mutex
	declared map[string]bool
}

// close closes the session's connection if the backend dialled it, else
// just its publish channel.
func (s *session) close() {
	if s.own {
		_ = s.conn.Close()
		return
	}
	_ = s.pub.Close()
}

// open starts a session on conn: its confirming publish channel.
func (b *Broker) open(conn *amqp.Connection, own bool) (*session, error) {
	pub, err := conn.Channel()
	if err == nil {
		err = pub.Confirm(false)
	}
	if err != nil {
		if own {
			_ = conn.Close()
		}
		return nil, fmt.Errorf("rabbitmq: %s: publish channel: %w", b.host, err)
	}
	return &session{conn: conn, own: own, pub: pub, declared: map[string]bool{}}, nil
}

// dial connects again and starts a session on the new connection.
func (b *Broker) dial() (*session, error) {
	conn, err := b.o.redial()
	if err != nil {
		return nil, err
	}
	return b.open(conn, true)
}

// keep re-establishes the connection whenever it is lost, with backoff.
func (b *Broker) keep(s *session) {
	for {
		lost := s.conn.NotifyClose(make(chan *amqp.Error, 1))
		publost := s.pub.NotifyClose(make(chan *amqp.Error, 1))
		select {
		case <-b.done:
			return
		case err := <-lost:
			b.o.logger.Warn("rabbitmq connection lost; reconnecting", "broker", b.host, "error", fmt.Sprint(err))
		case err := <-publost: // a channel error (a refused declaration): start afresh
			b.o.logger.Warn("rabbitmq publish channel closed; reconnecting", "broker", b.host, "error", fmt.Sprint(err))
			s.close()
		}
		b.set(nil)
		wait := b.c.ReconnectWait
		for {
			select {
			case <-b.done:
				return
			case <-time.After(wait):
			}
			next, err := b.dial()
			if err == nil {
				s = next
				b.set(s)
				b.o.logger.Info("rabbitmq reconnected", "broker", b.host)
				break
			}
			b.o.logger.Warn("rabbitmq reconnect failed", "broker", b.host, "error", err.Error(), "retry_in", wait)
			wait = min(2*wait, 10*time.Second)
		}
	}
}

func (b *Broker) set(s *session) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed && s != nil {
		s.close()
		return
	}
	b.cur = s
	close(b.changed)
	b.changed = make(chan struct{})
}

// session returns the connection, waiting while it is being re-established.
func (b *Broker) session(ctx context.Context) (*session, error) {
	for {
		b.mu.Lock()
		s, changed, closed := b.cur, b.changed, b.closed
		b.mu.Unlock()
		if closed {
			return nil, broker.ErrClosed
		}
		if s != nil {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("not connected to %s (reconnecting): %w", b.host, ctx.Err())
		case <-changed:
		case <-b.done:
			return nil, broker.ErrClosed
		}
	}
}

// declare runs fn on a channel of its own once per session and name: a
// refused declaration closes the channel it ran on, never the publish
// channel.
func (s *session) declare(name string, fn func(ch *amqp.Channel) error) error {
	s.mu.Lock()
	done := s.declared[name]
	s.mu.Unlock()
	if done {
		return nil
	}
	ch, err := s.conn.Channel()
	if err != nil {
		return err
	}
	defer ch.Close()
	if err := fn(ch); err != nil {
		return fmt.Errorf("declare %s: %w", name, err)
	}
	s.mu.Lock()
	s.declared[name] = true
	s.mu.Unlock()
	return nil
}
