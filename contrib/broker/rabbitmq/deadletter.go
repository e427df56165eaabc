package rabbitmq

import (
	"context"
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/internal/brokersub"
)

// DeadLetter publishes the message with why it failed to the group's
// dead-letter queue, then acks the original; if the publish fails the
// original is requeued.
func (d *delivery) DeadLetter(ctx context.Context, cause error) error {
	b, topic, group := d.s.b, d.s.topic, d.s.group
	dm := *d.msg
	dm.Headers = brokersub.DeadLetterHeaders(d.msg.Headers, cause, d.msg.Attempt, group)
	p := publishing(&dm, 1)
	err := d.republish(ctx, func(s *session) (string, string, error) {
		q := b.deadQueue(topic, group)
		return "", q, s.declare(q, func(ch *amqp.Channel) error {
			_, err := ch.QueueDeclare(q, true, false, false, false, nil)
			return err
		})
	}, p)
	if err != nil {
		return fmt.Errorf("rabbitmq: dead-letter %s: %w", d.msg.ID, err)
	}
	return nil
}

// ListDeadLetters implements broker.DeadLetters: it reads the group's
// dead-letter queue without removing anything (the channel closes with the
// messages unacknowledged, so they go back in order).
func (b *Broker) ListDeadLetters(ctx context.Context, topic, group string, limit int) ([]broker.DeadLetter, error) {
	var out []broker.DeadLetter
	err := b.scanDead(ctx, topic, group, func(_ *amqp.Channel, d *amqp.Delivery) (bool, error) {
		out = append(out, brokersub.Letter(message(topic, d), group, d.Timestamp))
		return limit > 0 && len(out) == limit, nil
	})
	return out, err
}

// scanDead gets every message of the group's dead-letter queue in order on
// a channel of its own and hands it to fn until fn says stop; the channel's
// close requeues what fn did not ack.
func (b *Broker) scanDead(ctx context.Context, topic, group string, fn func(*amqp.Channel, *amqp.Delivery) (bool, error)) error {
	q := b.deadQueue(topic, group)
	fail := func(err error) error {
		return fmt.Errorf("rabbitmq: dead letters of %s/%s in %s: %w", topic, group, q, err)
	}
	s, err := b.session(ctx)
	if err != nil {
		return fail(err)
	}
	ch, err := s.conn.Channel()
	if err != nil {
		return fail(err)
	}
	defer ch.Close()
	if _, err := ch.QueueDeclare(q, true, false, false, false, nil); err != nil {
		return fail(err)
	}
	for {
		d, ok, err := ch.Get(q, false)
		if err != nil {
			return fail(err)
		}
		if !ok {
			return nil
		}
		stop, err := fn(ch, &d)
		if err != nil {
			return fail(err)
		}
		if stop {
			return nil
		}
	}
}

// Replay implements broker.DeadLetters: each dead letter is published to
// the group's queue as a first attempt and, once confirmed, removed from
// the dead-letter queue.
func (b *Broker) Replay(ctx context.Context, topic, group string, ids ...string) (int, error) {
	wanted := map[string]bool{}
	for _, id := range ids {
		wanted[id] = true
	}
	n := 0
	err := b.scanDead(ctx, topic, group, func(_ *amqp.Channel, d *amqp.Delivery) (bool, error) {
		m := message(topic, d)
		if !wanted[m.ID] {
			return false, nil
		}
		for _, k := range []string{broker.HeaderError, broker.HeaderAttempts, broker.HeaderGroup} {
			delete(m.Headers, k)
		}
		s, err := b.session(ctx)
		if err == nil {
			err = b.send(ctx, s, "", b.queue(topic, group), publishing(m, 1))
		}
		if err != nil {
			return true, fmt.Errorf("replay %s: %w", m.ID, err)
		}
		if err := d.Ack(false); err != nil {
			return true, fmt.Errorf("replay %s: removing it from the dead letters: %w", m.ID, err)
		}
		n++
		delete(wanted, m.ID)
		return len(wanted) == 0, nil
	})
	return n, err
}
