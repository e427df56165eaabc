// Package nats is a broker.Backend on NATS JetStream through nats.go.
//
// A topic is a subject captured by a file-backed stream (created on first
// use when no stream captures the subject yet, named GOX_<topic>); a
// consumer group is a durable pull consumer on it with explicit acks. A
// message is acknowledged only after its handler returned; one whose
// consumer died is delivered again when its ack wait (Config.Visibility)
// runs out. Retries are JetStream naks with the backoff as delay; the
// attempt number is the server's delivery count.
//
// JetStream 2.9 has no delayed messages: a message published with a delay
// carries a not-before header, and a consumer that receives it early naks
// it with the time left, so it comes back when due without counting as an
// attempt. Publishing sets Nats-Msg-Id to the message id: a publisher that
// retries after an error (the server restarting) is deduplicated by the
// stream within its duplicate window.
//
// Dead letters go to the subject topic + Config.DeadLetterSuffix (".dlq"),
// in a stream of their own without expiry (GOX_<topic>_DLQ);
// ListDeadLetters reads it and Replay (`queue retry`) publishes a dead
// letter again for its group alone and deletes it from that stream.
//
// JetStream keeps no per-key order: use Kafka where one key's messages
// must be handled in order.
package nats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goxkit/gox/broker"
)

// Config configures the NATS backend.
type Config struct {
	// URL is the server, or a comma-separated list of servers.
	URL string `yaml:"url"`
	// Name names this connection to the server.
	Name string `yaml:"name"`
	// DeadLetterSuffix names a topic's dead-letter subject (default ".dlq").
	DeadLetterSuffix string `yaml:"dead_letter_suffix"`
	// MaxBytes refuses larger message bodies (default 1 MiB, the server's
	// default max_payload).
	MaxBytes int `yaml:"max_bytes"`
	// Visibility is the consumers' ack wait: a message held by a consumer
	// that died is delivered again after it (default 30 s).
	Visibility time.Duration `yaml:"visibility"`
	// MaxAge is how long a stream gox creates keeps messages (default 7
	// days); dead letters do not expire.
	MaxAge time.Duration `yaml:"max_age"`
	// Prefetch is how many messages a subscription pulls ahead of its
	// handlers (default 32); their ack wait runs while they wait.
	Prefetch int `yaml:"prefetch"`
	// Replicas of the streams gox creates (default 1).
	Replicas int `yaml:"replicas"`
	// PublishTimeout bounds a Publish waiting for the stream's ack (default
	// 5 s), reconnection included.
	PublishTimeout time.Duration `yaml:"publish_timeout"`
	// DialTimeout bounds connecting at start (default 5 s).
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// ReconnectWait is the pause between reconnection attempts (default
	// 500 ms); the connection retries for ever.
	ReconnectWait time.Duration `yaml:"reconnect_wait"`
}

// DefaultConfig is a local server on 4222.
func DefaultConfig() Config {
	return Config{URL: nats.DefaultURL, DeadLetterSuffix: ".dlq", MaxBytes: 1 << 20, Visibility: 30 * time.Second,
		MaxAge: 7 * 24 * time.Hour, Prefetch: 32, Replicas: 1, PublishTimeout: 5 * time.Second, DialTimeout: 5 * time.Second,
		ReconnectWait: 500 * time.Millisecond}
}

func (c Config) validate() error {
	if strings.TrimSpace(c.URL) == "" {
		return errors.New("nats: url is empty")
	}
	if c.DeadLetterSuffix == "" {
		return errors.New("nats: dead_letter_suffix is empty")
	}
	if c.MaxBytes <= 0 || c.Visibility <= 0 || c.Prefetch <= 0 || c.MaxAge < 0 || c.Replicas <= 0 || c.PublishTimeout <= 0 ||
		c.DialTimeout <= 0 || c.ReconnectWait <= 0 {
		return errors.New("nats: max_bytes, visibility, prefetch, replicas, publish_timeout, dial_timeout and reconnect_wait must be positive, max_age not negative")
	}
	return nil
}

// Headers gox adds besides the message's own.
const (
	headerID        = "Gox-Id"         // the message id (Nats-Msg-Id too, except on replays)
	headerTime      = "Gox-Time"       // unix ns, first publish
	headerKey       = "Gox-Key"        // the message key
	headerNotBefore = "Gox-Not-Before" // unix ms
	headerForGroup  = "Gox-For-Group"  // a replay meant for one group
	headerTopic     = "Gox-Topic"      // dead letters: where the message came from
)

// Option configures New.
type Option func(*options)

type options struct {
	logger *slog.Logger
	nopts  []nats.Option
}

// WithLogger logs disconnections and reconnections to l.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithNATSOptions adds nats.go connection options: credentials
// (nats.UserCredentials), TLS (nats.ClientTLSConfig), handlers.
func WithNATSOptions(opts ...nats.Option) Option {
	return func(o *options) { o.nopts = append(o.nopts, opts...) }
}

// Broker is the NATS JetStream Backend.
type Broker struct {
	c  Config
	o  options
	nc *nats.Conn
	js jetstream.JetStream

	mu      sync.Mutex
	streams map[string]string // topic → stream capturing it
	subs    broker.Sessions[*sub]
	closed  bool
}

var _ interface {
	broker.Backend
	broker.Subscriber
	broker.DeadLetters
} = (*Broker)(nil)

// New connects and checks that JetStream answers; the error names the
// server. After that the connection reconnects for ever.
func New(ctx context.Context, c Config, opts ...Option) (*Broker, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	o := options{logger: slog.Default()}
	for _, f := range opts {
		f(&o)
	}
	nopts := []nats.Option{nats.Timeout(c.DialTimeout), nats.MaxReconnects(-1), nats.ReconnectWait(c.ReconnectWait),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				o.logger.Warn("nats disconnected; reconnecting", "url", c.URL, "error", err.Error())
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { o.logger.Info("nats reconnected", "url", nc.ConnectedUrl()) })}
	if c.Name != "" {
		nopts = append(nopts, nats.Name(c.Name))
	}
	nc, err := nats.Connect(c.URL, append(nopts, o.nopts...)...)
	if err != nil {
		return nil, fmt.Errorf("nats: server %s unreachable: %w", c.URL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats: %w", err)
	}
	actx, cancel := context.WithTimeout(ctx, c.DialTimeout)
	defer cancel()
	if _, err := js.AccountInfo(actx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats: JetStream at %s does not answer (is the server started with -js?): %w", c.URL, err)
	}
	return &Broker{c: c, o: o, nc: nc, js: js, streams: map[string]string{}}, nil
}

// streamName is the stream gox creates for a subject.
func streamName(subject string) string {
	r := strings.NewReplacer(".", "_", "*", "_", ">", "_", " ", "_", "/", "_", "\\", "_")
	return "GOX_" + r.Replace(subject)
}

// stream returns the stream capturing subject, creating one if none does.
func (b *Broker) stream(ctx context.Context, subject string, expire bool) (string, error) {
	b.mu.Lock()
	name, ok := b.streams[subject]
	b.mu.Unlock()
	if ok {
		return name, nil
	}
	name, err := b.js.StreamNameBySubject(ctx, subject)
	if errors.Is(err, jetstream.ErrStreamNotFound) || (err == nil && name == "") {
		cfg := jetstream.StreamConfig{Name: streamName(subject), Subjects: []string{subject}, Storage: jetstream.FileStorage,
			Retention: jetstream.LimitsPolicy, Replicas: b.c.Replicas, MaxMsgSize: int32(b.c.MaxBytes + 64<<10)}
		if expire {
			cfg.MaxAge = b.c.MaxAge
		}
		var s jetstream.Stream
		s, err = b.js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = b.js.Stream(ctx, cfg.Name)
		}
		if err == nil {
			name = s.CachedInfo().Config.Name
		}
	}
	if err != nil {
		return "", fmt.Errorf("stream for %s: %w", subject, err)
	}
	b.mu.Lock()
	b.streams[subject] = name
	b.mu.Unlock()
	return name, nil
}

// Publish implements broker.Publisher: it returns once the stream stored
// the message, or an error after PublishTimeout.
func (b *Broker) Publish(ctx context.Context, topic string, msg *broker.Message, opts ...broker.PublishOption) error {
	if err := broker.Prepare(topic, msg); err != nil {
		return err
	}
	if len(msg.Body) > b.c.MaxBytes {
		return fmt.Errorf("nats: publish to %s: message %s is %d bytes, over the limit of %d", topic, msg.ID, len(msg.Body), b.c.MaxBytes)
	}
	if b.isClosed() {
		return broker.ErrClosed
	}
	var o broker.PublishOptions
	for _, f := range opts {
		f(&o)
	}
	ctx, cancel := context.WithTimeout(ctx, b.c.PublishTimeout)
	defer cancel()
	if _, err := b.stream(ctx, topic, true); err != nil {
		return fmt.Errorf("nats: publish to %s: %w", topic, err)
	}
	m := natsMsg(topic, msg)
	if o.Delay > 0 {
		m.Header.Set(headerNotBefore, strconv.FormatInt(time.Now().Add(o.Delay).UnixMilli(), 10))
	}
	if _, err := b.js.PublishMsg(ctx, m, jetstream.WithMsgID(msg.ID)); err != nil {
		return fmt.Errorf("nats: publish to %s: %w", topic, err)
	}
	return nil
}

// natsMsg is msg on subject, its key and first publish time in headers.
func natsMsg(subject string, msg *broker.Message) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Data = msg.Body
	for k, v := range msg.Headers {
		m.Header.Set(k, v)
	}
	m.Header.Set(headerID, msg.ID)
	m.Header.Set(headerTime, strconv.FormatInt(msg.Time.UnixNano(), 10))
	if msg.Key != "" {
		m.Header.Set(headerKey, msg.Key)
	}
	return m
}

// message reads a JetStream message back.
func message(topic string, h nats.Header, data []byte, stored time.Time) *broker.Message {
	m := &broker.Message{Topic: topic, Body: data, Time: stored, Attempt: 1}
	for k, vs := range h {
		if len(vs) == 0 {
			continue
		}
		switch k {
		case headerID:
			m.ID = vs[0]
		case jetstream.MsgIDHeader:
			if m.ID == "" {
				m.ID = vs[0]
			}
		case headerTime:
			if ns, err := strconv.ParseInt(vs[0], 10, 64); err == nil {
				m.Time = time.Unix(0, ns)
			}
		case headerKey:
			m.Key = vs[0]
		case headerNotBefore, headerForGroup, headerTopic:
		default:
			if m.Headers == nil {
				m.Headers = map[string]string{}
			}
			m.Headers[k] = vs[0]
		}
	}
	return m
}

func (b *Broker) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

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

// subscription returns the group's pull on topic, creating the durable
// consumer (and the stream) if needed.
func (b *Broker) subscription(ctx context.Context, topic, group string, hold bool) (*sub, error) {
	return b.subs.Get(topic, group, hold, func() (*sub, error) {
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
	}, func(s *sub) { s.stop() })
}

// Subscribe implements broker.Subscriber: it creates the group's durable
// consumer and starts pulling; an unreachable server or a JetStream error
// is returned.
func (b *Broker) Subscribe(ctx context.Context, topic, group string) error {
	_, err := b.subscription(ctx, topic, group, true)
	return err
}

// Unsubscribe implements broker.Subscriber: the last one stops pulling and
// hands the messages pulled ahead back to the server (nak), so the group's
// other members get them now rather than after the ack wait. The durable
// consumer stays: messages arriving while no member runs wait for the next.
func (b *Broker) Unsubscribe(_ context.Context, topic, group string) error {
	if s, last := b.subs.Release(topic, group); last {
		s.stop()
	}
	return nil
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
	s, err := b.subscription(ctx, topic, group, false)
	if err != nil {
		return nil, err
	}
	for {
		m, err := s.it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if b.isClosed() || errors.Is(err, jetstream.ErrMsgIteratorClosed) || errors.Is(err, nats.ErrConnectionClosed) {
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

// Close implements broker.Backend: it drains the connection.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	for _, s := range b.subs.Close() {
		s.stop()
	}
	b.nc.Close()
	return nil
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
	m := natsMsg(subject, d.msg)
	if cause != nil {
		m.Header.Set(broker.HeaderError, cause.Error())
	}
	m.Header.Set(broker.HeaderAttempts, strconv.Itoa(d.msg.Attempt))
	m.Header.Set(broker.HeaderGroup, d.group)
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
			l := deadLetter{stream: name, seq: meta.Sequence.Stream,
				DeadLetter: broker.DeadLetter{Group: group, Error: h.Get(broker.HeaderError), At: meta.Timestamp}}
			l.Attempts, _ = strconv.Atoi(h.Get(broker.HeaderAttempts))
			msg.Attempt = l.Attempts
			delete(msg.Headers, broker.HeaderError)
			delete(msg.Headers, broker.HeaderAttempts)
			delete(msg.Headers, broker.HeaderGroup)
			l.Message = *msg
			out = append(out, l)
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
		nm := natsMsg(topic, &m)
		nm.Header.Set(headerForGroup, group)
		// a fresh Nats-Msg-Id: the original is still in the duplicate window
		if _, err := b.js.PublishMsg(ctx, nm, jetstream.WithMsgID(fmt.Sprintf("%s/replay/%d", m.ID, l.seq))); err != nil {
			return n, fmt.Errorf("nats: replay %s to %s: %w", m.ID, topic, err)
		}
		s, err := b.js.Stream(ctx, l.stream)
		if err == nil {
			err = s.DeleteMsg(ctx, l.seq)
		}
		if err != nil {
			return n, fmt.Errorf("nats: replay %s: removing it from %s: %w", m.ID, l.stream, err)
		}
		n++
		delete(wanted, m.ID)
	}
	return n, nil
}
