package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/report"
	"github.com/goxkit/gox/transport"
)

// Handler handles one message. An error (or a panic, with the recovery
// middleware) hands the message out again after a backoff, and after the
// last attempt moves it to the dead letters.
type Handler func(ctx context.Context, msg *Message) error

// ConsumerOptions configure a Consumer: its group, how many messages it
// handles at once, and what happens to a message whose handler fails.
type ConsumerOptions struct {
	// Group is the consumer group: every group gets every message, the
	// consumers of one group share them, and dead letters are kept per
	// group. Required.
	Group string
	// Concurrency is how many messages are handled at once (default 1).
	Concurrency int
	// Timeout bounds each handling: the handler's context ends after it,
	// and a handler that returns later counts as failed; 0: none.
	Timeout time.Duration
	// Retry is how many times a failed message is handled again; after the
	// last retry it is dead-lettered. 0: dead-lettered at the first failure.
	Retry int
	// Sleep is the delay before the first retry; it doubles with each
	// further retry, up to MaxSleep.
	Sleep time.Duration
	// MaxSleep caps the delay between retries (default 5 min).
	MaxSleep time.Duration
	// Middleware runs around the handler, outermost first: the server chain
	// (recovery, logging, metrics, tracing continued from the producer).
	Middleware []middleware.Middleware
	// Logger logs starts, receive failures and dead letters (default
	// slog.Default()).
	Logger *slog.Logger
	// Reporter is given every dead-lettered message and every panic of the
	// handler (with the recovery middleware in Middleware), as a report of
	// kind queue: the operation is the topic, the tags name the group, the
	// message id and the attempt. nil: nothing is reported.
	Reporter report.Submitter
}

// Consumer consumes one topic for one group. It is a transport.Server: Start
// blocks until Stop, which stops receiving and waits for the messages being
// handled; those still running when Stop's context ends are released to be
// delivered again.
type Consumer struct {
	b      Backend
	topic  string
	o      ConsumerOptions
	chain  middleware.Handler
	cancel context.CancelFunc
	done   chan struct{}
	start  sync.Once

	mu       sync.Mutex
	inflight map[*tracked]struct{}
	leave    sync.Once
}

type tracked struct {
	d        Delivery
	released bool
}

var errReleased = errors.New("broker: consumer stopped before the handler finished")

// NewConsumer returns a Consumer of topic for o.Group running h. Run several
// Consumers (one per group) for several kinds of work on one topic.
func NewConsumer(b Backend, topic string, h Handler, o ConsumerOptions) (*Consumer, error) {
	switch {
	case topic == "":
		return nil, errors.New("broker: consumer: topic is empty")
	case o.Group == "":
		return nil, fmt.Errorf("broker: consumer of %s: ConsumerOptions.Group is empty: name the consumer group", topic)
	case h == nil:
		return nil, fmt.Errorf("broker: consumer of %s/%s: handler is nil", topic, o.Group)
	case o.Retry < 0 || o.Concurrency < 0 || o.Timeout < 0 || o.Sleep < 0 || o.MaxSleep < 0:
		return nil, fmt.Errorf("broker: consumer of %s/%s: Retry, Concurrency, Timeout, Sleep and MaxSleep must not be negative", topic, o.Group)
	}
	if o.Concurrency == 0 {
		o.Concurrency = 1
	}
	if o.MaxSleep == 0 {
		o.MaxSleep = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	c := &Consumer{b: b, topic: topic, o: o, done: make(chan struct{}), inflight: map[*tracked]struct{}{}}
	c.chain = middleware.Chain(o.Middleware...)(func(ctx context.Context, req any) (any, error) {
		return nil, h(ctx, req.(*Message))
	})
	return c, nil
}

// Start implements transport.Server.
func (c *Consumer) Start(ctx context.Context) error {
	rctx, cancel := context.WithCancel(ctx)
	started := false
	c.start.Do(func() { c.cancel, started = cancel, true })
	if !started {
		cancel()
		return fmt.Errorf("broker: consumer of %s/%s started twice", c.topic, c.o.Group)
	}
	if s, ok := c.b.(Subscriber); ok {
		if err := s.Subscribe(rctx, c.topic, c.o.Group); err != nil {
			cancel()
			close(c.done)
			return fmt.Errorf("broker: consumer of %s/%s: %w", c.topic, c.o.Group, err)
		}
	}
	base := context.WithoutCancel(ctx) // handlers finish even while stopping
	var wg sync.WaitGroup
	for range c.o.Concurrency {
		wg.Go(func() { c.work(rctx, base) })
	}
	c.o.Logger.Info("consumer started", "topic", c.topic, "group", c.o.Group, "concurrency", c.o.Concurrency)
	wg.Wait()
	c.unsubscribe(context.WithoutCancel(ctx))
	close(c.done)
	return nil
}

// unsubscribe ends the consumer's subscription once, when it stopped or
// when Stop released what was still running.
func (c *Consumer) unsubscribe(ctx context.Context) {
	c.leave.Do(func() {
		if s, ok := c.b.(Subscriber); ok {
			if err := s.Unsubscribe(ctx, c.topic, c.o.Group); err != nil {
				c.o.Logger.Warn("unsubscribe failed", "topic", c.topic, "group", c.o.Group, "error", err.Error())
			}
		}
	})
}

// Stop implements transport.Server.
func (c *Consumer) Stop(ctx context.Context) error {
	c.start.Do(func() { close(c.done) }) // never started
	if c.cancel != nil {
		c.cancel()
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
	}
	c.mu.Lock()
	n := 0
	for t := range c.inflight {
		if !t.released {
			t.released = true
			n++
			_ = t.d.Retry(context.WithoutCancel(ctx), 0, errReleased)
		}
	}
	c.mu.Unlock()
	c.unsubscribe(context.WithoutCancel(ctx))
	return fmt.Errorf("broker: consumer of %s/%s: %d messages still being handled were released for redelivery: %w",
		c.topic, c.o.Group, n, ctx.Err())
}

func (c *Consumer) work(rctx, base context.Context) {
	backoff := 100 * time.Millisecond
	for {
		d, err := c.b.Receive(rctx, c.topic, c.o.Group)
		if err != nil {
			if rctx.Err() != nil || errors.Is(err, ErrClosed) {
				return
			}
			c.o.Logger.Error("receive failed; retrying", "topic", c.topic, "group", c.o.Group, "error", err.Error(), "in", backoff)
			select {
			case <-rctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		c.handle(base, d)
	}
}

func (c *Consumer) handle(base context.Context, d Delivery) {
	t := &tracked{d: d}
	c.mu.Lock()
	c.inflight[t] = struct{}{}
	c.mu.Unlock()
	msg := d.Message()
	ctx := base
	if c.o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.o.Timeout)
		defer cancel()
	}
	ctx = transport.NewServerContext(ctx, &Transport{topic: c.topic, group: c.o.Group, msg: msg})
	_, err := c.chain(ctx, msg)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err() // the handler ignored its deadline and returned late
	}

	c.mu.Lock()
	delete(c.inflight, t)
	released := t.released
	c.mu.Unlock()
	if released {
		return // Stop gave it back already
	}
	sctx := context.WithoutCancel(base)
	var serr error
	switch {
	case err == nil:
		serr = d.Ack(sctx)
	case msg.Attempt <= c.o.Retry && !IsPermanent(err):
		c.report(ctx, msg, err, false)
		serr = d.Retry(sctx, c.backoff(msg.Attempt), err)
	default:
		c.o.Logger.ErrorContext(ctx, "message dead-lettered", "topic", c.topic, "group", c.o.Group, "id", msg.ID,
			"attempts", msg.Attempt, "error", err.Error())
		c.report(ctx, msg, err, true)
		serr = d.DeadLetter(sctx, err)
	}
	if serr != nil {
		c.o.Logger.ErrorContext(ctx, "settling a message failed; it will be delivered again", "topic", c.topic,
			"group", c.o.Group, "id", msg.ID, "error", serr.Error())
	}
}

// report hands a dead letter, or a panic that will be retried, to the
// Reporter.
func (c *Consumer) report(ctx context.Context, msg *Message, err error, dead bool) {
	if c.o.Reporter == nil {
		return
	}
	if _, panicked := errors.AsType[*recovery.PanicError](err); !dead && !panicked {
		return // an ordinary failure is retried; only its dead letter is news
	}
	outcome := "retry"
	if dead {
		outcome = "dead_letter"
	}
	c.o.Reporter.Submit(ctx, &report.Report{Kind: report.KindQueue, Operation: c.topic, Err: err, Tags: map[string]string{
		"topic": c.topic, "group": c.o.Group, "message_id": msg.ID, "attempt": strconv.Itoa(msg.Attempt), "outcome": outcome}})
}

// backoff is Sleep doubled for each retry after the first, capped.
func (c *Consumer) backoff(attempt int) time.Duration {
	d := c.o.Sleep
	for i := 1; i < attempt && d < c.o.MaxSleep; i++ {
		d *= 2
	}
	return min(d, c.o.MaxSleep)
}

// Transport is the transport.Transporter of a message being handled: kind
// "queue", operation the topic.
type Transport struct {
	topic, group string
	msg          *Message
	reply        map[string]string
}

// Kind implements transport.Transporter.
func (t *Transport) Kind() transport.Kind { return transport.KindQueue }

// Endpoint is the consumer group.
func (t *Transport) Endpoint() string { return t.group }

// Operation is the topic.
func (t *Transport) Operation() string { return t.topic }

// RequestHeader is the message's headers (trace context, request id ...).
func (t *Transport) RequestHeader() transport.Header {
	if t.msg.Headers == nil {
		t.msg.Headers = map[string]string{}
	}
	return transport.MapHeader(t.msg.Headers)
}

// ReplyHeader has no destination for a message; it is kept for middlewares that set one.
func (t *Transport) ReplyHeader() transport.Header {
	if t.reply == nil {
		t.reply = map[string]string{}
	}
	return transport.MapHeader(t.reply)
}

// Message is the message being handled.
func (t *Transport) Message() *Message { return t.msg }
