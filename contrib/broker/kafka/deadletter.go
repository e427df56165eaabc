package kafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/internal/brokersub"
)

// deadLetterTopic is where topic's dead letters go.
func (b *Broker) deadLetterTopic(topic string) string { return topic + b.c.DeadLetterSuffix }

// deadLetter produces m to the dead-letter topic with why it got there.
func (b *Broker) deadLetter(ctx context.Context, r *kgo.Record, m *broker.Message, group string, cause error) error {
	dm := *m
	dm.Headers = brokersub.DeadLetterHeaders(m.Headers, cause, m.Attempt, group)
	rec := record(b.deadLetterTopic(r.Topic), &dm)
	rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: headerTopic, Value: []byte(r.Topic)})
	if err := b.produce(ctx, rec); err != nil {
		return fmt.Errorf("kafka: dead-letter %s to %s: %w", m.ID, rec.Topic, err)
	}
	return nil
}

// ListDeadLetters implements broker.DeadLetters: it reads the dead-letter
// topic from its start to its end, oldest first, leaving out the replayed.
func (b *Broker) ListDeadLetters(ctx context.Context, topic, group string, limit int) ([]broker.DeadLetter, error) {
	letters, err := b.readDeadLetters(ctx, topic, group)
	if err != nil {
		return nil, err
	}
	out := make([]broker.DeadLetter, 0, len(letters))
	for _, l := range letters {
		out = append(out, l.DeadLetter)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

type deadLetter struct {
	broker.DeadLetter
	key []byte
}

func (b *Broker) readDeadLetters(ctx context.Context, topic, group string) ([]deadLetter, error) {
	dlq := b.deadLetterTopic(topic)
	fail := func(err error) ([]deadLetter, error) {
		return nil, fmt.Errorf("kafka: dead letters of %s/%s in %s: %w", topic, group, dlq, err)
	}
	ends, err := kadm.NewClient(b.prod).ListEndOffsets(ctx, dlq)
	if err != nil {
		return fail(err)
	}
	if err := ends.Error(); err != nil {
		if errors.Is(err, kerrUnknownTopic) {
			return nil, nil // nothing was ever dead-lettered
		}
		return fail(err)
	}
	want := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			want[o.Partition] = o.Offset
		}
	})
	if len(want) == 0 {
		return nil, nil
	}
	cl, err := b.client(ctx, kgo.ConsumeTopics(dlq), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return fail(err)
	}
	defer cl.Close()
	var letters []deadLetter
	replayed := map[string]bool{}
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return fail(ferr)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := want[r.Partition]; ok && r.Offset+1 >= end {
				delete(want, r.Partition)
			}
			if g, _ := header(r, broker.HeaderGroup); g != group {
				return
			}
			if id, ok := header(r, headerReplayed); ok {
				replayed[id] = true
				return
			}
			m := message(r)
			m.Topic = topic
			letters = append(letters, deadLetter{DeadLetter: brokersub.Letter(m, group, r.Timestamp), key: r.Key})
		})
	}
	out := letters[:0]
	for _, l := range letters {
		if !replayed[l.Message.ID] {
			out = append(out, l)
		}
	}
	return out, nil
}

// Replay implements broker.DeadLetters: each dead letter is published
// again to topic for group alone, as a first attempt, then marked replayed
// in the dead-letter topic. A crash between the two can replay one twice.
func (b *Broker) Replay(ctx context.Context, topic, group string, ids ...string) (int, error) {
	letters, err := b.readDeadLetters(ctx, topic, group)
	if err != nil {
		return 0, err
	}
	return brokersub.Replay(letters, ids, func(l deadLetter) string { return l.Message.ID }, func(l deadLetter) error {
		m := l.Message
		rec := record(topic, &m)
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: headerForGroup, Value: []byte(group)})
		mark := &kgo.Record{Topic: b.deadLetterTopic(topic), Key: l.key, Headers: []kgo.RecordHeader{
			{Key: headerReplayed, Value: []byte(m.ID)}, {Key: broker.HeaderGroup, Value: []byte(group)}}}
		if err := b.produce(ctx, rec); err != nil {
			return fmt.Errorf("kafka: replay %s to %s: %w", m.ID, topic, err)
		}
		if err := b.produce(ctx, mark); err != nil {
			return fmt.Errorf("kafka: replay %s: marking it replayed in %s: %w", m.ID, mark.Topic, err)
		}
		return nil
	})
}
