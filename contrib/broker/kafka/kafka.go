// Package kafka is a broker.Backend on Apache Kafka through franz-go.
//
// Every consumer group is a Kafka consumer group; a message's Key picks its
// partition, and one key's messages are handled in order, one at a time,
// even with a consumer's Concurrency above one. Offsets are committed only
// past messages whose handler finished (acked or dead-lettered): a consumer
// that dies loses nothing, its partitions' uncommitted messages are
// delivered again to the member that takes them over.
//
// Kafka has no per-message redelivery and no delay, so both live in the
// consumer: a failed message is kept by the consumer and handed out again
// after the backoff, in place — later messages with the same key wait for
// it, and the partition's committed offset stays below it —, and a message
// published with a delay carries a not-before header and is held by the
// consumer, uncommitted, until it is due. Held messages count against
// Config.Buffer; when it is full, fetching pauses. After a crash, attempt
// counts start again at one. For many long delays, the database queue is
// the better fit.
//
// Dead letters go to the topic named topic + Config.DeadLetterSuffix
// (".dlq") with the error, attempt count and group in headers;
// ListDeadLetters reads them back and Replay (`queue retry`) publishes them
// again for their group and marks them replayed in the same topic.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/internal/brokersub"
	"github.com/goxkit/gox/internal/option"
)

// Headers gox adds to the records it produces, besides the message's own.
const (
	headerID        = "gox-id"
	headerTime      = "gox-time"       // unix ns, first publish
	headerNotBefore = "gox-not-before" // unix ms
	headerForGroup  = "gox-for-group"  // a replay meant for one group
	headerReplayed  = "gox-replayed"   // a dead-letter topic record: this id was replayed
	headerTopic     = "gox-topic"      // dead letters: where the message came from
)

// Broker is the Kafka Backend.
type Broker struct {
	c       Config
	o       options
	prod    *kgo.Client
	brokers string // the seed brokers, for errors
	subs    *brokersub.Subs[*sub]
}

var _ brokersub.Backend = (*Broker)(nil)

// New returns a backend on client, which is its producer and the base of
// the consumer group members it makes: each is a client of its own, made of
// client.Opts() and WithClientOptions with the group's options after them.
// The client should not consume itself. New does no I/O; Close flushes the
// client but leaves it open.
func New(client *kgo.Client, opts ...Option) (*Broker, error) {
	if client == nil {
		return nil, errors.New("kafka: New: client is nil")
	}
	o := option.Apply(options{c: DefaultConfig(), logger: slog.Default()}, opts)
	if err := o.c.validate(); err != nil {
		return nil, err
	}
	if o.base == nil {
		o.base = slices.Concat(client.Opts(), o.kopts)
	}
	b := &Broker{c: o.c, o: o, prod: client, brokers: brokersOf(client)}
	b.subs = brokersub.New(b.join, (*sub).close)
	return b, nil
}

// client makes a client with the base options plus extra and checks the
// brokers answer.
func (b *Broker) client(ctx context.Context, extra ...kgo.Opt) (*kgo.Client, error) {
	return dial(ctx, b.c.DialTimeout, slices.Concat(b.prod.Opts(), extra, b.o.kopts))
}

// Publish implements broker.Publisher: it returns once the brokers hold the
// record (acks from all in-sync replicas, idempotent producer), or an error.
func (b *Broker) Publish(ctx context.Context, topic string, msg *broker.Message, opts ...broker.PublishOption) error {
	o, err := brokersub.Prepare("kafka", topic, msg, b.c.MaxBytes, opts)
	if err != nil {
		return err
	}
	if b.subs.Closed() {
		return broker.ErrClosed
	}
	rec := record(topic, msg)
	if o.Delay > 0 {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: headerNotBefore,
			Value: []byte(strconv.FormatInt(time.Now().Add(o.Delay).UnixMilli(), 10))})
	}
	if err := b.produce(ctx, rec); err != nil {
		return fmt.Errorf("kafka: publish to %s: %w", topic, err)
	}
	return nil
}

// produce sends r and waits for the brokers' acknowledgement, at most
// DeliveryTimeout (or ctx). The idempotent producer does not fail a record
// that was written to a broker which then stopped answering — it would
// break its sequence numbers — so the wait is bounded here: the caller gets
// an error, and the record may still arrive once the broker is back.
func (b *Broker) produce(ctx context.Context, r *kgo.Record) error {
	done := make(chan error, 1)
	b.prod.Produce(ctx, r, func(_ *kgo.Record, err error) { done <- err })
	t := time.NewTimer(b.c.DeliveryTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("no acknowledgement from brokers %s within %v; the message may still be stored once they answer",
			b.brokers, b.c.DeliveryTimeout)
	case <-ctx.Done():
		return fmt.Errorf("no acknowledgement before the context ended (%w); the message may still be stored", ctx.Err())
	}
}

// record is msg as a Kafka record, its id and first publish time in headers.
func record(topic string, msg *broker.Message) *kgo.Record {
	r := &kgo.Record{Topic: topic, Value: msg.Body}
	if msg.Key != "" {
		r.Key = []byte(msg.Key)
	}
	r.Headers = make([]kgo.RecordHeader, 0, len(msg.Headers)+3)
	for k, v := range msg.Headers {
		if !strings.HasPrefix(k, "gox-") || k == broker.HeaderError || k == broker.HeaderAttempts || k == broker.HeaderGroup {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
		}
	}
	r.Headers = append(r.Headers,
		kgo.RecordHeader{Key: headerID, Value: []byte(msg.ID)},
		kgo.RecordHeader{Key: headerTime, Value: []byte(strconv.FormatInt(msg.Time.UnixNano(), 10))})
	return r
}

// message reads a record back; records from producers that are not gox get
// an id from their position and their timestamp.
func message(r *kgo.Record) *broker.Message {
	m := &broker.Message{Topic: r.Topic, Key: string(r.Key), Body: r.Value, Time: r.Timestamp, Attempt: 1}
	for _, h := range r.Headers {
		switch h.Key {
		case headerID:
			m.ID = string(h.Value)
		case headerTime:
			if ns, err := strconv.ParseInt(string(h.Value), 10, 64); err == nil {
				m.Time = time.Unix(0, ns)
			}
		case headerNotBefore, headerForGroup, headerReplayed, headerTopic:
		default:
			if m.Headers == nil {
				m.Headers = map[string]string{}
			}
			m.Headers[h.Key] = string(h.Value)
		}
	}
	if m.ID == "" {
		m.ID = fmt.Sprintf("%s/%d/%d", r.Topic, r.Partition, r.Offset)
	}
	return m
}

func header(r *kgo.Record, k string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == k {
			return string(h.Value), true
		}
	}
	return "", false
}

// Subscribe implements broker.Subscriber: it joins the consumer group (one
// group member per topic and group in this process, shared by its
// consumers). An unreachable broker is an error naming the brokers.
func (b *Broker) Subscribe(ctx context.Context, topic, group string) error {
	return b.subs.Subscribe(ctx, topic, group)
}

// Unsubscribe implements broker.Subscriber: the last one leaves the group,
// committing what was finished; the rest goes to the group's other members.
func (b *Broker) Unsubscribe(ctx context.Context, topic, group string) error {
	return b.subs.Unsubscribe(ctx, topic, group)
}

// join makes this process's member of group on topic.
func (b *Broker) join(ctx context.Context, topic, group string) (*sub, error) {
	s := newSub(b, topic, group)
	cl, err := b.client(ctx,
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SessionTimeout(b.c.SessionTimeout), kgo.HeartbeatInterval(b.c.HeartbeatInterval),
		kgo.OnPartitionsAssigned(s.assigned), kgo.OnPartitionsRevoked(s.revoked), kgo.OnPartitionsLost(s.lost))
	if err != nil {
		return nil, err
	}
	s.cl = cl
	s.start()
	return s, nil
}

// Receive implements broker.Backend.
func (b *Broker) Receive(ctx context.Context, topic, group string) (broker.Delivery, error) {
	s, err := b.subs.Session(ctx, topic, group)
	if err != nil {
		return nil, err
	}
	return s.receive(ctx)
}

// Close implements broker.Backend: every group member commits what was
// finished and leaves; the producer flushes, and is closed if Open made it.
func (b *Broker) Close() error {
	if !b.subs.Close() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.c.DeliveryTimeout)
	defer cancel()
	err := b.prod.Flush(ctx)
	if b.o.owns {
		b.prod.Close()
	}
	return err
}
