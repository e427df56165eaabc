package nats

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/internal/brokersub"
)

// DeadLetter publishes the message to the dead-letter subject, then acks
// it. If the publish fails the message is naked, to be handled again.
func (d *delivery) DeadLetter(ctx context.Context, cause error) error {
	topic := d.msg.Topic
	subject := topic + d.b.c.DeadLetterSuffix
	ctx = d.b.timeout(ctx)
	fail := func(err error) error {
		_ = d.m.NakWithDelay(time.Second)
		return fmt.Errorf("nats: dead-letter %s to %s: %w", d.msg.ID, subject, err)
	}
	if _, err := d.b.stream(ctx, subject, false); err != nil {
		return fail(err)
	}
	dm := *d.msg
	dm.Headers = brokersub.DeadLetterHeaders(d.msg.Headers, cause, d.msg.Attempt, d.group)
	m := natsMsg(subject, &dm)
	m.Header.Set(headerTopic, topic)
	if _, err := d.b.js.PublishMsg(ctx, m, jetstream.WithMsgID(d.group+"/"+d.msg.ID+"/dead")); err != nil {
		return fail(err)
	}
	if err := d.m.DoubleAck(ctx); err != nil {
		return fmt.Errorf("nats: dead-letter %s: ack: %w", d.msg.ID, err)
	}
	return nil
}

type deadLetter struct {
	broker.DeadLetter
	stream string
	seq    uint64
}

// ListDeadLetters implements broker.DeadLetters, oldest first.
func (b *Broker) ListDeadLetters(ctx context.Context, topic, group string, limit int) ([]broker.DeadLetter, error) {
	letters, err := b.readDeadLetters(ctx, topic, group, limit)
	if err != nil {
		return nil, err
	}
	out := make([]broker.DeadLetter, len(letters))
	for i, l := range letters {
		out[i] = l.DeadLetter
	}
	return out, nil
}

func (b *Broker) readDeadLetters(ctx context.Context, topic, group string, limit int) ([]deadLetter, error) {
	subject := topic + b.c.DeadLetterSuffix
	fail := func(err error) ([]deadLetter, error) {
		return nil, fmt.Errorf("nats: dead letters of %s/%s in %s: %w", topic, group, subject, err)
	}
	name, err := b.js.StreamNameBySubject(ctx, subject)
	if errors.Is(err, jetstream.ErrStreamNotFound) || (err == nil && name == "") {
		return nil, nil // nothing was ever dead-lettered
	}
	if err != nil {
		return fail(err)
	}
	c, err := b.js.OrderedConsumer(ctx, name, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		return fail(err)
	}
	var out []deadLetter
	for {
		batch, err := c.FetchNoWait(256)
		if err != nil {
			return fail(err)
		}
		n := 0
		var pending uint64
		for m := range batch.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				return fail(err)
			}
			pending = meta.NumPending
			h := m.Headers()
			if h.Get(broker.HeaderGroup) != group {
				continue
			}
			msg := message(topic, h, m.Data(), meta.Timestamp)
			out = append(out, deadLetter{stream: name, seq: meta.Sequence.Stream, DeadLetter: brokersub.Letter(msg, group, meta.Timestamp)})
			if limit > 0 && len(out) == limit {
				return out, nil
			}
		}
		if err := batch.Error(); err != nil {
			return fail(err)
		}
		if n == 0 || pending == 0 {
			return out, nil
		}
	}
}

// Replay implements broker.DeadLetters: each dead letter is published to
// topic again for group alone, as a first attempt, then deleted from the
// dead-letter stream. A crash between the two can replay one twice.
func (b *Broker) Replay(ctx context.Context, topic, group string, ids ...string) (int, error) {
	letters, err := b.readDeadLetters(ctx, topic, group, 0)
	if err != nil {
		return 0, err
	}
	return brokersub.Replay(letters, ids, func(l deadLetter) string { return l.Message.ID }, func(l deadLetter) error {
		m := l.Message
		nm := natsMsg(topic, &m)
		nm.Header.Set(headerForGroup, group)
		// a fresh Nats-Msg-Id: the original is still in the duplicate window
		if _, err := b.js.PublishMsg(ctx, nm, jetstream.WithMsgID(fmt.Sprintf("%s/replay/%d", m.ID, l.seq))); err != nil {
			return fmt.Errorf("nats: replay %s to %s: %w", m.ID, topic, err)
		}
		s, err := b.js.Stream(ctx, l.stream)
		if err == nil {
			err = s.DeleteMsg(ctx, l.seq)
		}
		if err != nil {
			return fmt.Errorf("nats: replay %s: removing it from %s: %w", m.ID, l.stream, err)
		}
		return nil
	})
}
