package rabbitmq

import (
	"context"
	"fmt"
	"strconv"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/goxkit/gox/broker"
)

// sub consumes a group's queue (and the topic's backlog) on a channel of
// its own, subscribing again after every reconnection.
type sub struct {
	b            *Broker
	topic, group string
	deliveries   chan amqp.Delivery
	cancel       context.CancelFunc
	done         chan struct{}
}

// Subscribe implements broker.Subscriber: it declares the group's queue and
// starts consuming; the first declaration's error (broker unreachable,
// refused) is returned.
func (b *Broker) Subscribe(ctx context.Context, topic, group string) error {
	return b.subs.Subscribe(ctx, topic, group)
}

// Unsubscribe implements broker.Subscriber: the last one closes the
// channel; the messages it held unacknowledged go back to the queue.
func (b *Broker) Unsubscribe(ctx context.Context, topic, group string) error {
	return b.subs.Unsubscribe(ctx, topic, group)
}

// consume declares the group's queue and starts consuming it.
func (b *Broker) consume(ctx context.Context, topic, group string) (*sub, error) {
	ctx, cancel := context.WithTimeout(ctx, b.c.PublishTimeout)
	defer cancel()
	ses, err := b.session(ctx)
	if err == nil {
		err = b.declareGroup(ses, topic, group)
	}
	if err != nil {
		return nil, fmt.Errorf("rabbitmq: subscribe %s/%s: %w", topic, group, err)
	}
	rctx, rcancel := context.WithCancel(context.Background())
	s := &sub{b: b, topic: topic, group: group, deliveries: make(chan amqp.Delivery), cancel: rcancel, done: make(chan struct{})}
	go s.run(rctx)
	return s, nil
}

// run consumes on the current connection until it is lost, then again on
// the next one, until closed.
func (s *sub) run(ctx context.Context) {
	defer close(s.done)
	wait := s.b.c.ReconnectWait
	for ctx.Err() == nil {
		err := s.consume(ctx)
		if ctx.Err() != nil {
			return
		}
		s.b.o.logger.Warn("rabbitmq consumer interrupted; subscribing again", "topic", s.topic, "group", s.group, "error", fmt.Sprint(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// consume runs one channel: it returns when the channel closes (the
// connection was lost) or ctx ends (the channel is closed: what it held
// unacknowledged is requeued).
func (s *sub) consume(ctx context.Context) error {
	ses, err := s.b.session(ctx)
	if err != nil {
		return err
	}
	if err := s.b.declareGroup(ses, s.topic, s.group); err != nil {
		return err
	}
	ch, err := ses.conn.Channel()
	if err != nil {
		return err
	}
	defer ch.Close()
	if err := ch.Qos(s.b.c.Prefetch, 0, false); err != nil {
		return err
	}
	own, err := ch.Consume(s.b.queue(s.topic, s.group), "", false, false, false, false, nil)
	if err != nil {
		return err
	}
	backlog, err := ch.Consume(s.b.backlog(s.topic), "", false, false, false, false, nil)
	if err != nil {
		return err
	}
	s.b.o.logger.Debug("rabbitmq consuming", "topic", s.topic, "group", s.group)
	for own != nil || backlog != nil {
		var d amqp.Delivery
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case d, ok = <-backlog: // the backlog is older: first
			if !ok {
				backlog = nil
				continue
			}
		case d, ok = <-own:
			if !ok {
				own = nil
				continue
			}
		}
		select {
		case s.deliveries <- d:
		case <-ctx.Done():
			return nil
		}
	}
	return fmt.Errorf("channel closed")
}

// close stops consuming; unacknowledged messages go back to the queue.
func (s *sub) close() {
	s.cancel()
	<-s.done
}

// Receive implements broker.Backend.
func (b *Broker) Receive(ctx context.Context, topic, group string) (broker.Delivery, error) {
	s, err := b.subs.Session(ctx, topic, group)
	if err != nil {
		return nil, err
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		return nil, broker.ErrClosed
	case d := <-s.deliveries:
		return &delivery{s: s, d: d, msg: message(topic, &d)}, nil
	}
}

type delivery struct {
	s   *sub
	d   amqp.Delivery
	msg *broker.Message
}

func (d *delivery) Message() *broker.Message { return d.msg }

func (d *delivery) lost(op string, err error) error {
	return fmt.Errorf("rabbitmq: %s %s: %w (the channel is gone; the broker delivers the message again)", op, d.msg.ID, err)
}

func (d *delivery) Ack(context.Context) error {
	if err := d.d.Ack(false); err != nil {
		return d.lost("ack", err)
	}
	return nil
}

// Retry publishes the message with the next attempt number to the group's
// retry queue of this delay (or straight back to its queue), waits for the
// confirm, then acks the original. If the publish fails the original is
// requeued.
func (d *delivery) Retry(ctx context.Context, delay time.Duration, _ error) error {
	b, topic, group := d.s.b, d.s.topic, d.s.group
	err := d.republish(ctx, func(s *session) (string, string, error) {
		q := b.queue(topic, group)
		ms := delay.Milliseconds()
		if ms <= 0 {
			return "", q, nil
		}
		name := q + ".retry." + strconv.FormatInt(ms, 10)
		return "", name, b.declareDelay(s, name, ms, "", q)
	}, publishing(d.msg, d.msg.Attempt+1))
	if err != nil {
		return fmt.Errorf("rabbitmq: retry %s: %w", d.msg.ID, err)
	}
	return nil
}

// republish sends p where route says, then acks the original; on failure
// the original is requeued (nack).
func (d *delivery) republish(ctx context.Context, route func(*session) (string, string, error), p amqp.Publishing) error {
	b := d.s.b
	ctx, cancel := context.WithTimeout(ctx, b.c.PublishTimeout)
	defer cancel()
	s, err := b.session(ctx)
	var exchange, key string
	if err == nil {
		exchange, key, err = route(s)
	}
	if err == nil {
		err = b.send(ctx, s, exchange, key, p)
	}
	if err != nil {
		_ = d.d.Nack(false, true)
		return err
	}
	if err := d.d.Ack(false); err != nil {
		return d.lost("ack", err) // the copy went out: a duplicate, never a loss
	}
	return nil
}
