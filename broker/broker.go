// Package broker is gox's queue contract. A Backend (memory here; database,
// Kafka, RabbitMQ and NATS in contrib/broker) publishes messages and hands
// them out to consumer groups; a Consumer runs a Handler over them as a
// transport.Server, through the middleware chain, with a per-message
// timeout, retries with a doubling backoff, and dead letters after the last
// attempt (ConsumerOptions: Group, Timeout, Retry, Sleep). Delivery is at
// least once: a message is settled only after its handler returned.
//
//	b := broker.NewMemory()
//	_ = b.Publish(ctx, "orders", &broker.Message{Key: "order-7", Body: body}, broker.WithDelay(time.Minute))
//	c, err := broker.NewConsumer(b, "orders", handle, broker.ConsumerOptions{Group: "billing", Retry: 3})
//	app := gox.New(gox.WithServer(c))
package broker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Message is what travels through a broker.
type Message struct {
	// ID identifies the message; Publish sets a random one when empty.
	ID string
	// Topic is set by Publish.
	Topic string
	// Key orders messages: backends that partition keep one key's messages
	// in order (Kafka), others may not; handlers must not rely on it elsewhere.
	Key     string
	Headers map[string]string
	Body    []byte
	// Time is when the message was first published.
	Time time.Time
	// Attempt is the delivery attempt, 1 for the first (consumer side).
	Attempt int
}

// Header returns the header named k, or "".
func (m *Message) Header(k string) string { return m.Headers[k] }

// Headers set on dead letters.
const (
	HeaderError    = "gox-error"    // the last handler error
	HeaderAttempts = "gox-attempts" // how many times it was handled
	HeaderGroup    = "gox-group"    // the consumer group that gave up
)

// PublishOptions are set by PublishOption.
type PublishOptions struct {
	// Delay holds the message back; consumers see it after this long.
	Delay time.Duration
}

// PublishOption configures one Publish.
type PublishOption func(*PublishOptions)

// WithDelay holds the message back: consumers get it d after Publish.
func WithDelay(d time.Duration) PublishOption { return func(o *PublishOptions) { o.Delay = d } }

// Publisher publishes messages. Publish returns once the backend holds the
// message as durably as it can (a database commit, a broker confirm), or an
// error: a message is never dropped silently.
type Publisher interface {
	Publish(ctx context.Context, topic string, msg *Message, opts ...PublishOption) error
}

// Delivery is a message handed to a consumer, to be settled exactly once.
// A delivery that is never settled (the process died) is delivered again.
type Delivery interface {
	Message() *Message
	// Ack removes the message: it was handled.
	Ack(ctx context.Context) error
	// Retry hands the message out again after delay, with Attempt + 1.
	Retry(ctx context.Context, delay time.Duration, cause error) error
	// DeadLetter moves the message to the group's dead letters, keeping the
	// original and cause, the handler's last error.
	DeadLetter(ctx context.Context, cause error) error
}

// Backend is what a broker implements.
type Backend interface {
	Publisher
	// Receive blocks until a message of topic is due for group and returns
	// it, or returns ctx's error. Every group gets every message; the
	// receivers of one group share them.
	Receive(ctx context.Context, topic, group string) (Delivery, error)
	// Close releases the backend's connections.
	Close() error
}

// Subscriber is implemented by backends whose receivers hold a session with
// the broker for a topic and group (a Kafka group member, a NATS consumer):
// a Consumer subscribes before its first Receive — an unreachable broker
// fails its Start with a clear error — and unsubscribes when it stops, so
// the messages the session holds go to the group's other members. Backends
// count subscriptions: the session ends with the last one.
type Subscriber interface {
	Subscribe(ctx context.Context, topic, group string) error
	Unsubscribe(ctx context.Context, topic, group string) error
}

// DeadLetter is a message a group gave up on.
type DeadLetter struct {
	Message  Message // as first published, Attempt = attempts made
	Group    string
	Error    string
	Attempts int
	At       time.Time
}

// DeadLetters is implemented by backends that keep dead letters where they
// can be read back (Memory in memory, the database backend in a table, Kafka
// in a topic ...); a scaffolded service's `queue retry` command replays them.
type DeadLetters interface {
	// ListDeadLetters returns up to limit dead letters of topic and group.
	ListDeadLetters(ctx context.Context, topic, group string, limit int) ([]DeadLetter, error)
	// Replay publishes the dead letters with these message ids again, as new
	// first attempts for group only, and removes them; it returns how many.
	Replay(ctx context.Context, topic, group string, ids ...string) (int, error)
}

// Permanent marks err as not worth retrying: the consumer dead-letters the
// message at once, whatever attempts are left (a message that cannot be
// decoded, a type nobody handles).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

// ErrClosed is returned by a closed backend.
var ErrClosed = errors.New("broker: closed")

// prepare validates msg and fills ID, Topic and Time.
func prepare(topic string, msg *Message) error {
	if topic == "" {
		return errors.New("broker: publish: topic is empty")
	}
	if msg == nil {
		return fmt.Errorf("broker: publish to %s: message is nil", topic)
	}
	if msg.ID == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		msg.ID = hex.EncodeToString(b[:])
	}
	msg.Topic = topic
	if msg.Time.IsZero() {
		msg.Time = time.Now()
	}
	return nil
}

// Prepare is what every Backend's Publish does first: it checks topic and
// msg and fills the message's ID, Topic and Time.
func Prepare(topic string, msg *Message) error { return prepare(topic, msg) }
