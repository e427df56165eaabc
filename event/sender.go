package event

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/report"
)

// Sender sends events: in process (Channel), through a broker
// (BrokerSender), or to a peer (eventhttp.Sender, eventgrpc.Sender). Send
// validates the event first; its error is the sender's failure or, for the
// synchronous ones, the listeners' (see Listener).
type Sender interface {
	Send(ctx context.Context, e Event) error
}

// Channel is the in-process, asynchronous sender: Send validates the event
// and queues it; workers dispatch it to the bus. It is a transport.Server:
// Stop stops taking events and waits for the queued ones to be dispatched.
// Events are held in memory only: a crash loses the queued ones; use a
// broker where that matters.
type Channel struct {
	bus     *Bus
	ch      chan queued
	workers int
	logger  *slog.Logger

	mu      sync.RWMutex
	stopped bool
	wg      sync.WaitGroup
	once    sync.Once
}

type queued struct {
	ctx context.Context
	e   Event
}

// ErrChannelFull is returned by Channel.Send when its buffer is full.
var ErrChannelFull = errors.New("event: channel buffer is full")

// ErrStopped is returned by a stopped Channel.
var ErrStopped = errors.New("event: channel stopped")

// NewChannel returns a Channel dispatching to bus with one worker and a
// buffer of 1024 events; it runs from the first Send (Start is for the app).
func NewChannel(bus *Bus, opts ...ChannelOption) *Channel {
	c := &Channel{bus: bus, workers: 1, logger: bus.logger}
	size := 1024
	for _, f := range opts {
		f(c, &size)
	}
	c.ch = make(chan queued, size)
	for range c.workers {
		c.wg.Go(c.work)
	}
	return c
}

// ChannelOption configures a Channel.
type ChannelOption func(c *Channel, buffer *int)

// WithWorkers dispatches with n workers (default 1: events in order).
func WithWorkers(n int) ChannelOption {
	return func(c *Channel, _ *int) { c.workers = max(1, n) }
}

// WithBuffer holds up to n queued events (default 1024); Send fails when
// they are all taken.
func WithBuffer(n int) ChannelOption { return func(_ *Channel, b *int) { *b = max(1, n) } }

// Send implements Sender: it returns once the event is queued. The
// listeners run with a context detached from ctx's cancellation (keeping
// its values: trace, request id).
func (c *Channel) Send(ctx context.Context, e Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.stopped {
		return ErrStopped
	}
	select {
	case c.ch <- queued{ctx: context.WithoutCancel(ctx), e: e}:
		return nil
	default:
		return fmt.Errorf("%w (%d events): event %s (%s) not queued", ErrChannelFull, cap(c.ch), e.Type, e.ID)
	}
}

func (c *Channel) work() {
	for q := range c.ch {
		if err := c.dispatch(q); err != nil {
			c.logger.ErrorContext(q.ctx, "event listener failed", "type", q.e.Type, "id", q.e.ID, "error", err.Error())
			if c.bus.reporter != nil {
				c.bus.reporter.Submit(q.ctx, &report.Report{Kind: report.KindEvent, Operation: q.e.Type, Err: err,
					Tags: map[string]string{"event_id": q.e.ID, "event_source": q.e.Source}})
			}
		}
	}
}

// dispatch runs q's listeners. A panic is recovered and becomes the error
// (logged, and reported with the panic site's stack), so one bad listener
// neither ends the process from a worker gox started nor goes unnoticed.
func (c *Channel) dispatch(q queued) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = recovery.ErrPanic.WithCause(recovery.NewPanicError(v))
		}
	}()
	return c.bus.Dispatch(q.ctx, q.e)
}

// Start implements transport.Server; the workers already run.
func (c *Channel) Start(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// Stop implements transport.Server: no more events are taken, the queued
// ones are dispatched, up to ctx's deadline.
func (c *Channel) Stop(ctx context.Context) error {
	c.once.Do(func() {
		c.mu.Lock()
		c.stopped = true
		close(c.ch)
		c.mu.Unlock()
	})
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("event channel: %d events not dispatched before the stop deadline: %w", len(c.ch), ctx.Err())
	}
}

// BrokerSender publishes events to a broker topic in the CloudEvents JSON
// format (structured mode: the whole event is the message body), asynchronous
// and as durable as the backend; NewConsumer dispatches them on the other
// side.
type BrokerSender struct {
	p     broker.Publisher
	topic string
}

// NewBrokerSender publishes to topic through p (a backend, or a
// broker.Producer to run the client chain).
func NewBrokerSender(p broker.Publisher, topic string) *BrokerSender {
	return &BrokerSender{p: p, topic: topic}
}

// HeaderType carries the event type on broker messages, so consumers and
// tools can route without decoding the body.
const HeaderType = "ce-type"

// Send implements Sender; the message id is the event id and its key the
// event's subject (ordering where the backend partitions).
func (s *BrokerSender) Send(ctx context.Context, e Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	body, err := marshal(e)
	if err != nil {
		return err
	}
	msg := &broker.Message{ID: e.ID, Key: e.Subject, Body: body,
		Headers: map[string]string{"content-type": MediaType, HeaderType: e.Type}}
	if !e.Time.IsZero() {
		msg.Time = e.Time
	}
	if err := s.p.Publish(ctx, s.topic, msg); err != nil {
		return fmt.Errorf("event %s (%s): %w", e.Type, e.ID, err)
	}
	return nil
}

// NewConsumer returns a broker consumer of topic dispatching its events to
// bus: a listener's error is retried and dead-lettered by o's policy, like a
// job's; a message that is not a valid CloudEvent, an unknown type with
// UnknownReject, and a listener's coded 4xx (the event will never be
// accepted: see Listener) are dead-lettered at once.
func NewConsumer(b broker.Backend, topic string, bus *Bus, o broker.ConsumerOptions) (*broker.Consumer, error) {
	return broker.NewConsumer(b, topic, func(ctx context.Context, m *broker.Message) error {
		e, err := unmarshal(m.Body)
		if err != nil {
			return broker.Permanent(fmt.Errorf("message %s is not a valid CloudEvent: %w", m.ID, err))
		}
		err = bus.Dispatch(ctx, e)
		if errors.Is(err, ErrUnknownType) || (err != nil && final(err)) {
			return broker.Permanent(err)
		}
		return err
	}, o)
}
