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
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/internal/brokersub"
	"github.com/goxkit/gox/internal/option"
)

// Headers gox adds besides the message's own.
const (
	headerAttempt = "gox-attempt"
	headerKey     = "gox-key"
	headerTime    = "gox-time" // unix ns: the AMQP timestamp has whole seconds
)

// Broker is the RabbitMQ Backend.
type Broker struct {
	c    Config
	o    options
	host string // the URL without its password, for errors and logs

	mu      sync.Mutex
	cur     *session      // nil while reconnecting
	changed chan struct{} // closed when cur changes
	subs    *brokersub.Subs[*sub]
	closed  bool
	done    chan struct{}
}

var _ brokersub.Backend = (*Broker)(nil)

// New returns a backend on conn, the caller's connection: Close leaves it
// open. After a loss the backend connects again with WithRedial, with
// backoff, and closes the connections it made; without WithRedial it
// cannot (amqp091 keeps no credentials), and publishes fail with an error
// saying so.
func New(conn *amqp.Connection, opts ...Option) (*Broker, error) {
	if conn == nil {
		return nil, errors.New("rabbitmq: New: connection is nil")
	}
	o := option.Apply(options{c: DefaultConfig(), logger: slog.Default()}, opts)
	if err := o.c.validate(); err != nil {
		return nil, err
	}
	if o.host == "" {
		o.host = conn.RemoteAddr().String()
	}
	if o.redial == nil {
		o.redial = noRedial(o.host)
	}
	b := &Broker{c: o.c, o: o, host: o.host, changed: make(chan struct{}), done: make(chan struct{})}
	b.subs = brokersub.New(b.consume, (*sub).close)
	s, err := b.open(conn, o.owns)
	if err != nil {
		return nil, err
	}
	b.cur = s
	go b.keep(s)
	return b, nil
}

// noRedial is New's redial without WithRedial: amqp091 forgets a
// connection's credentials once it is open, so there is nothing to dial with.
func noRedial(host string) func() (*amqp.Connection, error) {
	return func() (*amqp.Connection, error) {
		return nil, fmt.Errorf("rabbitmq: the connection to %s given to New was lost, and no WithRedial says how to connect again", host)
	}
}

// Names.
func (b *Broker) exchange(topic string) string         { return b.c.Prefix + "." + topic }
func (b *Broker) backlog(topic string) string          { return b.c.Prefix + "." + topic + ".backlog" }
func (b *Broker) queue(topic, group string) string     { return b.c.Prefix + "." + topic + "." + group }
func (b *Broker) deadQueue(topic, group string) string { return b.queue(topic, group) + ".dlq" }

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
	o, err := brokersub.Prepare("rabbitmq", topic, msg, b.c.MaxBytes, opts)
	if err != nil {
		return err
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
	b.subs.Close()
	if s != nil {
		s.close()
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
