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
	"github.com/goxkit/gox/internal/brokersub"
	"github.com/goxkit/gox/internal/option"
)

// Headers gox adds besides the message's own.
const (
	headerID        = "Gox-Id"         // the message id (Nats-Msg-Id too, except on replays)
	headerTime      = "Gox-Time"       // unix ns, first publish
	headerKey       = "Gox-Key"        // the message key
	headerNotBefore = "Gox-Not-Before" // unix ms
	headerForGroup  = "Gox-For-Group"  // a replay meant for one group
	headerTopic     = "Gox-Topic"      // dead letters: where the message came from
)

// Broker is the NATS JetStream Backend.
type Broker struct {
	c  Config
	o  options
	nc *nats.Conn
	js jetstream.JetStream

	mu      sync.Mutex
	streams map[string]string // topic → stream capturing it
	subs    *brokersub.Subs[*sub]
}

var _ brokersub.Backend = (*Broker)(nil)

// New returns a backend on nc, the caller's connection: its reconnection
// and handlers are the caller's, and Close leaves it open. New does no I/O.
func New(nc *nats.Conn, opts ...Option) (*Broker, error) {
	if nc == nil {
		return nil, errors.New("nats: New: connection is nil")
	}
	o := option.Apply(options{c: DefaultConfig(), logger: slog.Default()}, opts)
	if err := o.c.validate(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	b := &Broker{c: o.c, o: o, nc: nc, js: js, streams: map[string]string{}}
	b.subs = brokersub.New(b.pull, (*sub).stop)
	return b, nil
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
	o, err := brokersub.Prepare("nats", topic, msg, b.c.MaxBytes, opts)
	if err != nil {
		return err
	}
	if b.subs.Closed() {
		return broker.ErrClosed
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

// Close implements broker.Backend: subscriptions stop pulling and hand back
// what they pulled ahead; the connection is closed if Open made it.
func (b *Broker) Close() error {
	if b.subs.Close() && b.o.owns {
		b.nc.Close()
	}
	return nil
}
