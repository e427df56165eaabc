package broker_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/broker/brokertest"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/requestid"
)

func TestMemoryContract(t *testing.T) {
	brokertest.Run(t, func(t *testing.T) broker.Backend {
		// one process: every "backend" of a test is the same broker
		if b, ok := shared[t]; ok {
			return b
		}
		b := broker.NewMemory()
		shared[t] = b
		t.Cleanup(func() { _ = b.Close() })
		return b
	})
}

var shared = map[*testing.T]*broker.Memory{}

func TestMemoryRefusesOversizeAndClosed(t *testing.T) {
	b := broker.NewMemory(broker.WithMaxBytes(10))
	err := b.Publish(context.Background(), "t", &broker.Message{ID: "big", Body: make([]byte, 11)})
	if err == nil || !strings.Contains(err.Error(), "message big is 11 bytes, over the limit of 10") {
		t.Fatalf("oversize: %v", err)
	}
	if err := b.Publish(context.Background(), "", &broker.Message{}); err == nil || !strings.Contains(err.Error(), "topic is empty") {
		t.Fatalf("no topic: %v", err)
	}
	_ = b.Close()
	if err := b.Publish(context.Background(), "t", &broker.Message{}); !errors.Is(err, broker.ErrClosed) {
		t.Fatalf("publish after Close: %v", err)
	}
	if _, err := b.Receive(context.Background(), "t", "g"); !errors.Is(err, broker.ErrClosed) {
		t.Fatalf("receive after Close: %v", err)
	}
}

func TestMemoryKeepsMessagesPublishedBeforeAnyConsumer(t *testing.T) {
	b := broker.NewMemory()
	_ = b.Publish(context.Background(), "t", &broker.Message{ID: "early"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	d, err := b.Receive(ctx, "t", "g")
	if err != nil || d.Message().ID != "early" {
		t.Fatalf("first group did not get the backlog: %v", err)
	}
	_ = d.Ack(ctx)
}

func TestConsumerOptionsAreChecked(t *testing.T) {
	b := broker.NewMemory()
	ok := func(context.Context, *broker.Message) error { return nil }
	for _, tc := range []struct {
		topic string
		h     broker.Handler
		o     broker.ConsumerOptions
		want  string
	}{
		{"", ok, broker.ConsumerOptions{Group: "g"}, "topic is empty"},
		{"t", ok, broker.ConsumerOptions{}, "consumer of t: ConsumerOptions.Group is empty"},
		{"t", nil, broker.ConsumerOptions{Group: "g"}, "consumer of t/g: handler is nil"},
		{"t", ok, broker.ConsumerOptions{Group: "g", Retry: -1}, "must not be negative"},
		{"t", ok, broker.ConsumerOptions{Group: "g", MaxSleep: -time.Second}, "must not be negative"},
	} {
		if _, err := broker.NewConsumer(b, tc.topic, tc.h, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc, err, tc.want)
		}
	}
}

// The producer's client chain writes into the message headers and the
// consumer's server chain reads them: the request id crosses the queue.
func TestRequestIDCrossesTheQueue(t *testing.T) {
	b := broker.NewMemory()
	seen := make(chan string, 1)
	c, _ := broker.NewConsumer(b, "t", func(ctx context.Context, m *broker.Message) error {
		seen <- requestid.FromContext(ctx)
		return nil
	}, broker.ConsumerOptions{Group: "g", Middleware: []middleware.Middleware{requestid.Server()}})
	go func() { _ = c.Start(context.Background()) }()
	defer c.Stop(context.Background())
	p := broker.NewProducer(b, requestid.Client())
	ctx := requestid.NewContext(context.Background(), "req-42")
	if err := p.Send(ctx, "t", "k", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-seen:
		if id != "req-42" {
			t.Fatalf("consumer saw request id %q, want the producer's req-42", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not delivered")
	}
}

// Every group of a topic gets every message: two kinds of work on one
// topic are two Consumers, each with its own group and settings.
func TestEachGroupGetsEveryMessage(t *testing.T) {
	b := broker.NewMemory()
	got := map[string]chan string{"billing": make(chan string, 1), "audit": make(chan string, 1)}
	for group, ch := range got {
		c, err := broker.NewConsumer(b, "orders", func(_ context.Context, m *broker.Message) error {
			ch <- string(m.Body)
			return nil
		}, broker.ConsumerOptions{Group: group, Retry: 1, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = c.Start(context.Background()) }()
		defer c.Stop(context.Background())
	}
	time.Sleep(50 * time.Millisecond) // both groups join before the message
	if err := broker.NewProducer(b).Send(context.Background(), "orders", "", []byte("hello"), 0); err != nil {
		t.Fatal(err)
	}
	for group, ch := range got {
		select {
		case body := <-ch:
			if body != "hello" {
				t.Fatalf("%s got %q", group, body)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("group %s did not get the message", group)
		}
	}
}

// subscribing wraps a backend with broker.Subscriber, counting calls.
type subscribing struct {
	broker.Backend
	fail      error
	subs, uns atomic.Int32
}

func (s *subscribing) Subscribe(context.Context, string, string) error {
	s.subs.Add(1)
	return s.fail
}

func (s *subscribing) Unsubscribe(context.Context, string, string) error {
	s.uns.Add(1)
	return nil
}

// A Subscriber backend is subscribed before the first Receive, once
// unsubscribed when the consumer stops, and an unreachable broker fails
// Start with an error naming the topic and group.
func TestConsumerSubscribes(t *testing.T) {
	b := &subscribing{Backend: broker.NewMemory()}
	got := make(chan string, 1)
	c, _ := broker.NewConsumer(b, "orders", func(_ context.Context, m *broker.Message) error {
		got <- string(m.Body)
		return nil
	}, broker.ConsumerOptions{Group: "billing", Concurrency: 3})
	done := make(chan error, 1)
	go func() { done <- c.Start(context.Background()) }()
	_ = b.Publish(context.Background(), "orders", &broker.Message{Body: []byte("x")})
	if v := <-got; v != "x" || b.subs.Load() != 1 {
		t.Fatalf("got %q after %d subscribes; want x after 1", v, b.subs.Load())
	}
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil || b.uns.Load() != 1 {
		t.Fatalf("Start returned %v; %d unsubscribes, want 1", err, b.uns.Load())
	}

	down := &subscribing{Backend: broker.NewMemory(), fail: errors.New("brokers 10.0.0.9:9092 unreachable")}
	c, _ = broker.NewConsumer(down, "orders", func(context.Context, *broker.Message) error { return nil }, broker.ConsumerOptions{Group: "billing"})
	err := c.Start(context.Background())
	if err == nil || err.Error() != "broker: consumer of orders/billing: brokers 10.0.0.9:9092 unreachable" {
		t.Fatalf("Start with the broker down: %v", err)
	}
	if err := c.Stop(context.Background()); err != nil || down.uns.Load() != 0 {
		t.Fatalf("Stop after a failed Start: %v, %d unsubscribes", err, down.uns.Load())
	}
}
