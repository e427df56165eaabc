// Package rabbitmq is a broker.Backend on RabbitMQ through amqp091-go.
//
// Topology, all durable, names under Config.Prefix ("gox"):
//
//	gox.<topic>                     fanout exchange the topic is published to
//	gox.<topic>.<group>             a consumer group's queue, bound to it
//	gox.<topic>.backlog             where messages go while no group is bound (the
//	                                exchange's alternate exchange); the first group
//	                                to consume takes them, as with the other backends
//	gox.<topic>.<group>.retry.<ms>  retries waiting their backoff: TTL, then dead-
//	                                lettered back into the group's queue
//	gox.<topic>.delay.<ms>          delayed publishes: TTL, then into the exchange
//	gox.<topic>.<group>.dlq         the group's dead letters
//
// Publishes are persistent and wait for the broker's confirm. Consumers ack
// manually, only after the handler returned; a retry is a confirmed publish
// of the message, with the next attempt number, to a TTL queue of its
// backoff (one queue per delay, so a long delay never holds up a short one),
// followed by the ack of the original. The connection is re-established
// after a loss, with backoff: publishes wait for it up to PublishTimeout,
// consumers subscribe again, and the messages they held unacknowledged are
// requeued by the broker — nothing acknowledged-published is lost.
package rabbitmq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/goxkit/gox/broker"
)

// Config configures the RabbitMQ backend.
type Config struct {
	// URL is the AMQP URL, amqp://user:password@host:5672/vhost.
	URL string `yaml:"url"`
	// Prefix starts every exchange and queue name (default "gox").
	Prefix string `yaml:"prefix"`
	// MaxBytes refuses larger message bodies (default 1 MiB).
	MaxBytes int `yaml:"max_bytes"`
	// Prefetch is how many unacknowledged messages a subscription holds
	// (default 32).
	Prefetch int `yaml:"prefetch"`
	// PublishTimeout bounds a Publish: reconnecting, the broker's confirm
	// (default 5 s).
	PublishTimeout time.Duration `yaml:"publish_timeout"`
	// DialTimeout bounds connecting (default 5 s).
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// ReconnectWait is the first pause before reconnecting; it doubles up
	// to 10 s (default 200 ms).
	ReconnectWait time.Duration `yaml:"reconnect_wait"`
}

// DefaultConfig is a local broker with the guest account.
func DefaultConfig() Config {
	return Config{URL: "amqp://guest:guest@127.0.0.1:5672/", Prefix: "gox", MaxBytes: 1 << 20, Prefetch: 32,
		PublishTimeout: 5 * time.Second, DialTimeout: 5 * time.Second, ReconnectWait: 200 * time.Millisecond}
}

func (c Config) validate() error {
	if _, err := amqp.ParseURI(c.URL); err != nil {
		return fmt.Errorf("rabbitmq: url: %w", err)
	}
	if c.Prefix == "" {
		return errors.New("rabbitmq: prefix is empty")
	}
	if c.MaxBytes <= 0 || c.Prefetch <= 0 || c.PublishTimeout <= 0 || c.DialTimeout <= 0 || c.ReconnectWait <= 0 {
		return errors.New("rabbitmq: max_bytes, prefetch, publish_timeout, dial_timeout and reconnect_wait must be positive")
	}
	return nil
}

// Headers gox adds besides the message's own.
const (
	headerAttempt = "gox-attempt"
	headerKey     = "gox-key"
	headerTime    = "gox-time" // unix ns: the AMQP timestamp has whole seconds
)

// Option configures New.
type Option func(*options)

type options struct {
	logger *slog.Logger
	amqp   amqp.Config
}

// WithLogger logs connection losses and reconnections to l.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithAMQPConfig sets the amqp091 connection config: TLS, SASL, heartbeat,
// client properties. Its Dial is replaced when nil.
func WithAMQPConfig(c amqp.Config) Option { return func(o *options) { o.amqp = c } }

// Broker is the RabbitMQ Backend.
type Broker struct {
	c    Config
	o    options
	host string // the URL without its password, for errors and logs

	mu      sync.Mutex
	cur     *session      // nil while reconnecting
	changed chan struct{} // closed when cur changes
	subs    broker.Sessions[*sub]
	closed  bool
	done    chan struct{}
}

// session is one connection and its confirming publish channel.
type session struct {
	conn *amqp.Connection
	pub  *amqp.Channel

	mu       sync.Mutex
	declared map[string]bool
}

var _ interface {
	broker.Backend
	broker.Subscriber
	broker.DeadLetters
} = (*Broker)(nil)

// New connects; an unreachable broker is an error naming it (never the
// password). After that, a lost connection is re-established by itself.
func New(_ context.Context, c Config, opts ...Option) (*Broker, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	o := options{logger: slog.Default()}
	for _, f := range opts {
		f(&o)
	}
	if o.amqp.Dial == nil {
		o.amqp.Dial = amqp.DefaultDial(c.DialTimeout)
	}
	b := &Broker{c: c, o: o, host: redact(c.URL), changed: make(chan struct{}), done: make(chan struct{})}
	s, err := b.dial()
	if err != nil {
		return nil, err
	}
	b.cur = s
	go b.keep(s)
	return b, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}

func (b *Broker) dial() (*session, error) {
	conn, err := amqp.DialConfig(b.c.URL, b.o.amqp)
	if err != nil {
		return nil, fmt.Errorf("rabbitmq: broker %s unreachable: %s", b.host, strings.ReplaceAll(err.Error(), b.c.URL, b.host))
	}
	pub, err := conn.Channel()
	if err == nil {
		err = pub.Confirm(false)
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("rabbitmq: %s: publish channel: %w", b.host, err)
	}
	return &session{conn: conn, pub: pub, declared: map[string]bool{}}, nil
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
			_ = s.conn.Close()
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
		_ = s.conn.Close()
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

// Names.
func (b *Broker) exchange(topic string) string         { return b.c.Prefix + "." + topic }
func (b *Broker) backlog(topic string) string          { return b.c.Prefix + "." + topic + ".backlog" }
func (b *Broker) queue(topic, group string) string     { return b.c.Prefix + "." + topic + "." + group }
func (b *Broker) deadQueue(topic, group string) string { return b.queue(topic, group) + ".dlq" }

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

// declareTopic declares the topic's exchange and its backlog.
func (b *Broker) declareTopic(s *session, topic string) error {
	ex, bl := b.exchange(topic), b.backlog(topic)
	return s.declare(ex, func(ch *amqp.Channel) error {
		if err := ch.ExchangeDeclare(bl, amqp.ExchangeFanout, true, false, false, false, nil); err != nil {
			return err
		}
		if _, err := ch.QueueDeclare(bl, true, false, false, false, nil); err != nil {
			return err
		}
		if err := ch.QueueBind(bl, "", bl, false, nil); err != nil {
			return err
		}
		return ch.ExchangeDeclare(ex, amqp.ExchangeFanout, true, false, false, false, amqp.Table{"alternate-exchange": bl})
	})
}

// declareGroup declares the group's queue, bound to the topic's exchange.
func (b *Broker) declareGroup(s *session, topic, group string) error {
	if err := b.declareTopic(s, topic); err != nil {
		return err
	}
	q := b.queue(topic, group)
	return s.declare(q, func(ch *amqp.Channel) error {
		if _, err := ch.QueueDeclare(q, true, false, false, false, nil); err != nil {
			return err
		}
		return ch.QueueBind(q, "", b.exchange(topic), false, nil)
	})
}

// declareDelay declares name, a queue whose messages wait ms and then go to
// exchange with routing key key. It is deleted a minute after its last use.
func (b *Broker) declareDelay(s *session, name string, ms int64, exchange, key string) error {
	return s.declare(name, func(ch *amqp.Channel) error {
		args := amqp.Table{"x-message-ttl": ms, "x-dead-letter-exchange": exchange, "x-expires": ms + 60_000}
		if key != "" {
			args["x-dead-letter-routing-key"] = key
		}
		_, err := ch.QueueDeclare(name, true, false, false, false, args)
		return err
	})
}

// publishing is msg as an AMQP message: persistent, its id, time, key and
// attempt in properties and headers.
func publishing(msg *broker.Message, attempt int) amqp.Publishing {
	h := amqp.Table{}
	for k, v := range msg.Headers {
		h[k] = v
	}
	if msg.Key != "" {
		h[headerKey] = msg.Key
	}
	h[headerTime] = msg.Time.UnixNano()
	if attempt > 1 {
		h[headerAttempt] = int64(attempt)
	}
	return amqp.Publishing{Headers: h, DeliveryMode: amqp.Persistent, MessageId: msg.ID, Timestamp: msg.Time, Body: msg.Body}
}

// send publishes p and waits for the broker's confirm.
func (b *Broker) send(ctx context.Context, s *session, exchange, key string, p amqp.Publishing) error {
	dc, err := s.pub.PublishWithDeferredConfirmWithContext(ctx, exchange, key, false, false, p)
	if err != nil {
		return err
	}
	ok, err := dc.WaitContext(ctx)
	if err != nil {
		return fmt.Errorf("no confirm from %s: %w", b.host, err)
	}
	if !ok {
		return fmt.Errorf("%s refused the message (nack)", b.host)
	}
	return nil
}

// Publish implements broker.Publisher: it returns once the broker confirmed
// the persistent message, or an error after PublishTimeout (reconnection
// included).
func (b *Broker) Publish(ctx context.Context, topic string, msg *broker.Message, opts ...broker.PublishOption) error {
	if err := broker.Prepare(topic, msg); err != nil {
		return err
	}
	if len(msg.Body) > b.c.MaxBytes {
		return fmt.Errorf("rabbitmq: publish to %s: message %s is %d bytes, over the limit of %d", topic, msg.ID, len(msg.Body), b.c.MaxBytes)
	}
	var o broker.PublishOptions
	for _, f := range opts {
		f(&o)
	}
	ctx, cancel := context.WithTimeout(ctx, b.c.PublishTimeout)
	defer cancel()
	fail := func(err error) error { return fmt.Errorf("rabbitmq: publish to %s: %w", topic, err) }
	s, err := b.session(ctx)
	if errors.Is(err, broker.ErrClosed) {
		return err
	}
	if err != nil {
		return fail(err)
	}
	if err := b.declareTopic(s, topic); err != nil {
		return fail(err)
	}
	exchange, key := b.exchange(topic), ""
	if ms := o.Delay.Milliseconds(); ms > 0 {
		key = fmt.Sprintf("%s.%s.delay.%d", b.c.Prefix, topic, ms)
		if err := b.declareDelay(s, key, ms, b.exchange(topic), ""); err != nil {
			return fail(err)
		}
		exchange = ""
	}
	if err := b.send(ctx, s, exchange, key, publishing(msg, 1)); err != nil {
		return fail(err)
	}
	return nil
}

// Close implements broker.Backend.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.done)
	s := b.cur
	b.mu.Unlock()
	for _, sb := range b.subs.Close() {
		sb.close()
	}
	if s != nil {
		return s.conn.Close()
	}
	return nil
}

// message reads an AMQP delivery back.
func message(topic string, d *amqp.Delivery) *broker.Message {
	m := &broker.Message{ID: d.MessageId, Topic: topic, Body: d.Body, Time: d.Timestamp, Attempt: 1}
	for k, v := range d.Headers {
		switch k {
		case headerKey:
			m.Key = fmt.Sprint(v)
		case headerAttempt:
			if n, ok := v.(int64); ok && n > 0 {
				m.Attempt = int(n)
			}
		case headerTime:
			if ns, ok := v.(int64); ok {
				m.Time = time.Unix(0, ns)
			}
		case "x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
			"x-last-death-exchange", "x-last-death-queue", "x-last-death-reason":
		default:
			if m.Headers == nil {
				m.Headers = map[string]string{}
			}
			m.Headers[k] = fmt.Sprint(v)
		}
	}
	if m.ID == "" {
		m.ID = fmt.Sprintf("%s/%d", topic, d.DeliveryTag)
	}
	return m
}

func attemptsOf(h amqp.Table) int {
	n, _ := strconv.Atoi(fmt.Sprint(h[broker.HeaderAttempts]))
	return n
}
