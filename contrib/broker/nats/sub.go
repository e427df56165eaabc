package nats

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goxkit/gox/broker"
)

// consumerName is the durable consumer of a group: JetStream names allow
// no dots, wildcards or spaces.
func consumerName(group string) string {
	return strings.NewReplacer(".", "_", "*", "_", ">", "_", " ", "_", "/", "_", "\\", "_").Replace(group)
}

// sub is the stream of messages this process pulls from a group's durable
// consumer, shared by the group's receivers.
type sub struct {
	it jetstream.MessagesContext
}

// pull creates the group's durable consumer on topic (and the stream) if
// needed and starts pulling from it.
func (b *Broker) pull(ctx context.Context, topic, group string) (*sub, error) {
	fail := func(err error) (*sub, error) { return nil, fmt.Errorf("nats: subscribe %s/%s: %w", topic, group, err) }
	stream, err := b.stream(ctx, topic, true)
	if err != nil {
		return fail(err)
	}
	c, err := b.js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{Durable: consumerName(group),
		FilterSubject: topic, AckPolicy: jetstream.AckExplicitPolicy, AckWait: b.c.Visibility, MaxDeliver: -1,
		DeliverPolicy: jetstream.DeliverAllPolicy, MaxAckPending: -1})
	if err != nil {
		return fail(err)
	}
	it, err := c.Messages(jetstream.PullMaxMessages(b.c.Prefetch))
	if err != nil {
		return fail(err)
	}
	return &sub{it: it}, nil
}

// Subscribe implements broker.Subscriber: it creates the group's durable
// consumer and starts pulling; an unreachable server or a JetStream error
// is returned.
func (b *Broker) Subscribe(ctx context.Context, topic, group string) error {
	return b.subs.Subscribe(ctx, topic, group)
}

// Unsubscribe implements broker.Subscriber: the last one stops pulling and
// hands the messages pulled ahead back to the server (nak), so the group's
// other members get them now rather than after the ack wait. The durable
// consumer stays: messages arriving while no member runs wait for the next.
func (b *Broker) Unsubscribe(ctx context.Context, topic, group string) error {
	return b.subs.Unsubscribe(ctx, topic, group)
}

// stop ends the pull and naks what was pulled ahead.
func (s *sub) stop() {
	s.it.Drain()
	for {
		m, err := s.it.Next(jetstream.NextMaxWait(time.Second))
		if err != nil {
			return
		}
		_ = m.Nak()
	}
}

// Receive implements broker.Backend.
func (b *Broker) Receive(ctx context.Context, topic, group string) (broker.Delivery, error) {
	s, err := b.subs.Session(ctx, topic, group)
	if err != nil {
		return nil, err
	}
	for {
		m, err := s.it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if b.subs.Closed() || errors.Is(err, jetstream.ErrMsgIteratorClosed) || errors.Is(err, nats.ErrConnectionClosed) {
				return nil, broker.ErrClosed
			}
			return nil, fmt.Errorf("nats: receive %s/%s: %w", topic, group, err)
		}
		if d := b.delivery(ctx, topic, group, m); d != nil {
			return d, nil
		}
	}
}

// delivery turns m into a Delivery, or settles it and returns nil: early
// for its delay (nak with the time left) or a replay for another group.
func (b *Broker) delivery(ctx context.Context, topic, group string, m jetstream.Msg) *delivery {
	h := m.Headers()
	if g := h.Get(headerForGroup); g != "" && g != group {
		_ = m.Ack()
		return nil
	}
	meta, err := m.Metadata()
	if err != nil {
		_ = m.Nak()
		return nil
	}
	attempt := int(meta.NumDelivered)
	if nb := h.Get(headerNotBefore); nb != "" {
		if ms, err := strconv.ParseInt(nb, 10, 64); err == nil {
			if wait := time.Until(time.UnixMilli(ms)); wait > 0 {
				_ = m.NakWithDelay(wait)
				return nil
			}
			// it was delivered once before it was due, and put back
			if attempt > 1 && meta.Timestamp.Before(time.UnixMilli(ms)) {
				attempt--
			}
		}
	}
	msg := message(topic, h, m.Data(), meta.Timestamp)
	if msg.ID == "" {
		msg.ID = fmt.Sprintf("%s/%d", meta.Stream, meta.Sequence.Stream)
	}
	msg.Attempt = attempt
	return &delivery{b: b, m: m, msg: msg, group: group}
}

type delivery struct {
	b     *Broker
	m     jetstream.Msg
	msg   *broker.Message
	group string
}

func (d *delivery) Message() *broker.Message { return d.msg }

// Ack waits for the server to confirm it.
func (d *delivery) Ack(ctx context.Context) error {
	if err := d.m.DoubleAck(d.b.timeout(ctx)); err != nil {
		return fmt.Errorf("nats: ack %s: %w", d.msg.ID, err)
	}
	return nil
}

func (b *Broker) timeout(ctx context.Context) context.Context {
	ctx, cancel := context.WithTimeout(ctx, b.c.PublishTimeout)
	context.AfterFunc(ctx, cancel)
	return ctx
}

// Retry naks with the backoff as delay: the server delivers it again then.
func (d *delivery) Retry(_ context.Context, delay time.Duration, _ error) error {
	var err error
	if delay > 0 {
		err = d.m.NakWithDelay(delay)
	} else {
		err = d.m.Nak()
	}
	if err != nil {
		return fmt.Errorf("nats: retry %s: %w", d.msg.ID, err)
	}
	return nil
}
