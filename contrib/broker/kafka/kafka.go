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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/goxkit/gox/broker"
)

// Config configures the Kafka backend.
type Config struct {
	// Brokers are the seed brokers, host:port; an entry may be a
	// comma-separated list.
	Brokers []string `yaml:"brokers"`
	// ClientID names this service to the brokers.
	ClientID string `yaml:"client_id"`
	// DeadLetterSuffix names a topic's dead-letter topic (default ".dlq").
	DeadLetterSuffix string `yaml:"dead_letter_suffix"`
	// MaxBytes refuses larger message bodies (default 1 MiB, Kafka's own
	// default message.max.bytes).
	MaxBytes int `yaml:"max_bytes"`
	// Buffer is how many fetched messages a subscription holds — waiting,
	// delayed or being retried — before it stops fetching (default 1000).
	Buffer int `yaml:"buffer"`
	// CommitInterval is how often finished offsets are committed (default
	// 500 ms); they are also committed when partitions move and at stop.
	CommitInterval time.Duration `yaml:"commit_interval"`
	// DeliveryTimeout bounds a Publish while the brokers are unreachable
	// (default 30 s): it then returns an error, the message is not sent.
	DeliveryTimeout time.Duration `yaml:"delivery_timeout"`
	// DialTimeout bounds connecting, and the check at start (default 10 s).
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// SessionTimeout and HeartbeatInterval are the group's (Kafka's
	// defaults 45 s and 3 s): a member silent for the session timeout loses
	// its partitions; rebalances take up to a heartbeat interval.
	SessionTimeout    time.Duration `yaml:"session_timeout"`
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	// AutoCreateTopics lets producing create a missing topic with the
	// brokers' defaults (when the brokers allow it). Default true.
	AutoCreateTopics bool `yaml:"auto_create_topics"`
}

// DefaultConfig is a local broker on 9092.
func DefaultConfig() Config {
	return Config{Brokers: []string{"127.0.0.1:9092"}, DeadLetterSuffix: ".dlq", MaxBytes: 1 << 20, Buffer: 1000,
		CommitInterval: 500 * time.Millisecond, DeliveryTimeout: 30 * time.Second, DialTimeout: 10 * time.Second,
		SessionTimeout: 45 * time.Second, HeartbeatInterval: 3 * time.Second, AutoCreateTopics: true}
}

// split accepts comma-separated lists inside Brokers entries, as an
// environment variable gives them ("${KAFKA_BROKERS}").
func (c *Config) split() {
	var out []string
	for _, b := range c.Brokers {
		for _, p := range strings.Split(b, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	c.Brokers = out
}

func (c Config) validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("kafka: brokers is empty; set at least one host:port")
	}
	for i, b := range c.Brokers {
		if _, port, ok := strings.Cut(b, ":"); !ok || port == "" {
			return fmt.Errorf("kafka: brokers[%d] %q is not host:port", i, b)
		}
	}
	if c.DeadLetterSuffix == "" {
		return errors.New("kafka: dead_letter_suffix is empty")
	}
	if c.MaxBytes <= 0 || c.Buffer <= 0 || c.CommitInterval <= 0 || c.DeliveryTimeout <= 0 || c.DialTimeout <= 0 ||
		c.SessionTimeout <= 0 || c.HeartbeatInterval <= 0 {
		return errors.New("kafka: max_bytes, buffer, commit_interval, delivery_timeout, dial_timeout, session_timeout and heartbeat_interval must be positive")
	}
	return nil
}

// Headers gox adds to the records it produces, besides the message's own.
const (
	headerID        = "gox-id"
	headerTime      = "gox-time"       // unix ns, first publish
	headerNotBefore = "gox-not-before" // unix ms
	headerForGroup  = "gox-for-group"  // a replay meant for one group
	headerReplayed  = "gox-replayed"   // a dead-letter topic record: this id was replayed
	headerTopic     = "gox-topic"      // dead letters: where the message came from
)

// Option configures New.
type Option func(*options)

type options struct {
	logger *slog.Logger
	kopts  []kgo.Opt
}

// WithLogger logs rebalances and commit failures to l (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithClientOptions adds franz-go options to every client the backend
// makes: TLS (kgo.DialTLSConfig), SASL (kgo.SASL), hooks (kgo.WithHooks).
func WithClientOptions(opts ...kgo.Opt) Option {
	return func(o *options) { o.kopts = append(o.kopts, opts...) }
}

// Broker is the Kafka Backend.
type Broker struct {
	c    Config
	o    options
	prod *kgo.Client

	subs broker.Sessions[*sub]

	mu     sync.Mutex
	closed bool
}

var _ interface {
	broker.Backend
	broker.Subscriber
	broker.DeadLetters
} = (*Broker)(nil)

// New connects to the brokers and checks that they answer within
// DialTimeout; the error names the brokers it tried.
func New(ctx context.Context, c Config, opts ...Option) (*Broker, error) {
	c.split()
	if err := c.validate(); err != nil {
		return nil, err
	}
	o := options{logger: slog.Default()}
	for _, f := range opts {
		f(&o)
	}
	b := &Broker{c: c, o: o}
	popts := []kgo.Opt{kgo.RecordDeliveryTimeout(c.DeliveryTimeout), kgo.ProducerLinger(0),
		kgo.ProducerBatchMaxBytes(int32(c.MaxBytes + 64<<10))}
	if c.AutoCreateTopics {
		popts = append(popts, kgo.AllowAutoTopicCreation())
	}
	prod, err := b.client(ctx, popts...)
	if err != nil {
		return nil, err
	}
	b.prod = prod
	return b, nil
}

// client makes a client with the backend's base options plus extra and
// checks the brokers answer.
func (b *Broker) client(ctx context.Context, extra ...kgo.Opt) (*kgo.Client, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(b.c.Brokers...), kgo.DialTimeout(b.c.DialTimeout)}
	if b.c.ClientID != "" {
		opts = append(opts, kgo.ClientID(b.c.ClientID))
	}
	opts = append(append(opts, extra...), b.o.kopts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, b.c.DialTimeout)
	defer cancel()
	if err := cl.Ping(pctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("kafka: brokers %s unreachable: %w", strings.Join(b.c.Brokers, ","), err)
	}
	return cl, nil
}

// Publish implements broker.Publisher: it returns once the brokers hold the
// record (acks from all in-sync replicas, idempotent producer), or an error.
func (b *Broker) Publish(ctx context.Context, topic string, msg *broker.Message, opts ...broker.PublishOption) error {
	if err := broker.Prepare(topic, msg); err != nil {
		return err
	}
	if len(msg.Body) > b.c.MaxBytes {
		return fmt.Errorf("kafka: publish to %s: message %s is %d bytes, over the limit of %d", topic, msg.ID, len(msg.Body), b.c.MaxBytes)
	}
	if b.isClosed() {
		return broker.ErrClosed
	}
	var o broker.PublishOptions
	for _, f := range opts {
		f(&o)
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
			strings.Join(b.c.Brokers, ","), b.c.DeliveryTimeout)
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

func (b *Broker) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// Subscribe implements broker.Subscriber: it joins the consumer group (one
// group member per topic and group in this process, shared by its
// consumers). An unreachable broker is an error naming the brokers.
func (b *Broker) Subscribe(ctx context.Context, topic, group string) error {
	_, err := b.subscription(ctx, topic, group, true)
	return err
}

// Unsubscribe implements broker.Subscriber: the last one leaves the group,
// committing what was finished; the rest goes to the group's other members.
func (b *Broker) Unsubscribe(_ context.Context, topic, group string) error {
	if s, last := b.subs.Release(topic, group); last {
		s.close()
	}
	return nil
}

// subscription returns the group member for topic and group, joining the
// group if there is none yet.
func (b *Broker) subscription(ctx context.Context, topic, group string, hold bool) (*sub, error) {
	return b.subs.Get(topic, group, hold, func() (*sub, error) {
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
	}, func(s *sub) { s.close() })
}

// Receive implements broker.Backend.
func (b *Broker) Receive(ctx context.Context, topic, group string) (broker.Delivery, error) {
	s, err := b.subscription(ctx, topic, group, false)
	if err != nil {
		return nil, err
	}
	return s.receive(ctx)
}

// Close implements broker.Backend: every group member commits what was
// finished and leaves; the producer flushes.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	for _, s := range b.subs.Close() {
		s.close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.c.DeliveryTimeout)
	defer cancel()
	err := b.prod.Flush(ctx)
	b.prod.Close()
	return err
}

// deadLetterTopic is where topic's dead letters go.
func (b *Broker) deadLetterTopic(topic string) string { return topic + b.c.DeadLetterSuffix }

// deadLetter produces m to the dead-letter topic with why it got there.
func (b *Broker) deadLetter(ctx context.Context, r *kgo.Record, m *broker.Message, group string, cause error) error {
	dm := *m
	dm.Headers = make(map[string]string, len(m.Headers)+3)
	for k, v := range m.Headers {
		dm.Headers[k] = v
	}
	if cause != nil {
		dm.Headers[broker.HeaderError] = cause.Error()
	}
	dm.Headers[broker.HeaderAttempts] = strconv.Itoa(m.Attempt)
	dm.Headers[broker.HeaderGroup] = group
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
			l := deadLetter{DeadLetter: broker.DeadLetter{Group: group, Error: m.Headers[broker.HeaderError], At: r.Timestamp}, key: r.Key}
			l.Attempts, _ = strconv.Atoi(m.Headers[broker.HeaderAttempts])
			m.Attempt = l.Attempts
			delete(m.Headers, broker.HeaderError)
			delete(m.Headers, broker.HeaderAttempts)
			delete(m.Headers, broker.HeaderGroup)
			l.Message = *m
			letters = append(letters, l)
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
	wanted := map[string]bool{}
	for _, id := range ids {
		wanted[id] = true
	}
	n := 0
	for _, l := range letters {
		if !wanted[l.Message.ID] {
			continue
		}
		m := l.Message
		rec := record(topic, &m)
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: headerForGroup, Value: []byte(group)})
		mark := &kgo.Record{Topic: b.deadLetterTopic(topic), Key: l.key, Headers: []kgo.RecordHeader{
			{Key: headerReplayed, Value: []byte(m.ID)}, {Key: broker.HeaderGroup, Value: []byte(group)}}}
		if err := b.produce(ctx, rec); err != nil {
			return n, fmt.Errorf("kafka: replay %s to %s: %w", m.ID, topic, err)
		}
		if err := b.produce(ctx, mark); err != nil {
			return n, fmt.Errorf("kafka: replay %s: marking it replayed in %s: %w", m.ID, mark.Topic, err)
		}
		n++
		delete(wanted, m.ID)
	}
	return n, nil
}
