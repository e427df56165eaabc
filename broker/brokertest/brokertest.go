// Package brokertest is the contract every broker.Backend passes with
// broker.Consumer on top: the memory backend runs it in core, the database,
// Kafka, RabbitMQ and NATS backends in contrib/broker against real servers.
package brokertest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/transport"
)

// Run runs the contract. newBackend returns a backend; two calls within one
// test must reach the same broker, as two processes would.
func Run(t *testing.T, newBackend func(t *testing.T) broker.Backend) {
	topicOf := func(t *testing.T) string {
		return strings.NewReplacer("/", "-", " ", "-").Replace(fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano()%1e9))
	}
	t.Run("PublishConsumeAck", func(t *testing.T) {
		b, topic := newBackend(t), topicOf(t)
		got := make(chan *broker.Message, 10)
		consume(t, b, topic, broker.ConsumerOptions{Group: "g"}, func(_ context.Context, m *broker.Message) error {
			got <- m
			return nil
		})
		for i := range 3 {
			publish(t, b, topic, &broker.Message{Key: "k", Headers: map[string]string{"n": fmt.Sprint(i)}, Body: []byte(fmt.Sprint("body-", i))})
		}
		seen := map[string]bool{}
		for range 3 {
			m := recv(t, got)
			if since := time.Since(m.Time); since < 0 || since > 10*time.Second || m.Time.Nanosecond() == 0 {
				t.Fatalf("message time %v: not the publish time to the nanosecond", m.Time)
			}
			if m.Topic != topic || m.ID == "" || m.Time.IsZero() || m.Attempt != 1 || m.Key != "k" ||
				string(m.Body) != "body-"+m.Header("n") {
				t.Fatalf("delivered %+v", m)
			}
			seen[m.ID] = true
		}
		if len(seen) != 3 {
			t.Fatalf("%d distinct ids for 3 messages", len(seen))
		}
		none(t, got, 300*time.Millisecond) // acked: not delivered again
	})
	t.Run("GroupsFanOutMembersShare", func(t *testing.T) {
		b, topic := newBackend(t), topicOf(t)
		var billing, audit1, audit2 atomic.Int32
		count := func(n *atomic.Int32) broker.Handler {
			return func(context.Context, *broker.Message) error { n.Add(1); return nil }
		}
		consume(t, b, topic, broker.ConsumerOptions{Group: "billing"}, count(&billing))
		consume(t, b, topic, broker.ConsumerOptions{Group: "audit"}, count(&audit1))
		consume(t, newBackend(t), topic, broker.ConsumerOptions{Group: "audit"}, count(&audit2))
		time.Sleep(200 * time.Millisecond) // let the groups join
		for range 20 {
			publish(t, b, topic, &broker.Message{Body: []byte("x")})
		}
		eventually(t, func() bool { return billing.Load() == 20 && audit1.Load()+audit2.Load() == 20 })
		time.Sleep(200 * time.Millisecond)
		if billing.Load() != 20 || audit1.Load()+audit2.Load() != 20 {
			t.Fatalf("billing %d, audit %d+%d; want 20 and 20 (each message once per group)", billing.Load(), audit1.Load(), audit2.Load())
		}
	})
	t.Run("Delay", func(t *testing.T) {
		b, topic := newBackend(t), topicOf(t)
		got := make(chan time.Time, 1)
		consume(t, b, topic, broker.ConsumerOptions{Group: "g"}, func(context.Context, *broker.Message) error {
			got <- time.Now()
			return nil
		})
		start := time.Now()
		publish(t, b, topic, &broker.Message{Body: []byte("later")}, broker.WithDelay(time.Second))
		select {
		case at := <-got:
			if d := at.Sub(start); d < 900*time.Millisecond {
				t.Fatalf("delivered after %v, before its 1s delay", d)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a delayed message was not delivered within 10s")
		}
	})
	t.Run("RetryWithBackoffThenSucceed", func(t *testing.T) {
		b, topic := newBackend(t), topicOf(t)
		var attempts []int
		var mu sync.Mutex
		done := make(chan struct{})
		consume(t, b, topic, broker.ConsumerOptions{Group: "g", Retry: 3, Sleep: 50 * time.Millisecond}, func(_ context.Context, m *broker.Message) error {
			mu.Lock()
			defer mu.Unlock()
			attempts = append(attempts, m.Attempt)
			if m.Attempt < 3 {
				return errors.New("flaky")
			}
			close(done)
			return nil
		})
		publish(t, b, topic, &broker.Message{Body: []byte("x")})
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("not handled successfully within 10s")
		}
		time.Sleep(300 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		if fmt.Sprint(attempts) != "[1 2 3]" {
			t.Fatalf("attempts %v, want [1 2 3]", attempts)
		}
	})
	t.Run("PoisonMessageIsDeadLetteredAndTheQueueFlows", func(t *testing.T) {
		b, topic := newBackend(t), topicOf(t)
		var poison, good atomic.Int32
		consume(t, b, topic, broker.ConsumerOptions{Group: "g", Retry: 2, Sleep: 10 * time.Millisecond,
			Middleware: []middleware.Middleware{recovery.Recovery(quiet())}},
			func(_ context.Context, m *broker.Message) error {
				switch string(m.Body) {
				case "poison":
					poison.Add(1)
					panic("cannot parse")
				case "bad":
					return errors.New("always fails")
				}
				good.Add(1)
				return nil
			})
		publish(t, b, topic, &broker.Message{ID: "poison-1", Body: []byte("poison")})
		publish(t, b, topic, &broker.Message{ID: "bad-1", Body: []byte("bad")})
		for range 5 {
			publish(t, b, topic, &broker.Message{Body: []byte("ok")})
		}
		eventually(t, func() bool { return good.Load() == 5 && poison.Load() == 3 })
		dl := deadLetters(t, b)
		var letters []broker.DeadLetter
		eventually(t, func() bool {
			letters, _ = dl.ListDeadLetters(context.Background(), topic, "g", 10)
			return len(letters) == 2
		})
		byID := map[string]broker.DeadLetter{}
		for _, l := range letters {
			byID[l.Message.ID] = l
		}
		p, bad := byID["poison-1"], byID["bad-1"]
		if p.Attempts != 3 || !strings.Contains(p.Error, "cannot parse") || string(p.Message.Body) != "poison" || p.Group != "g" {
			t.Fatalf("poison dead letter %+v", p)
		}
		if bad.Attempts != 3 || !strings.Contains(bad.Error, "always fails") {
			t.Fatalf("bad dead letter %+v", bad)
		}
	})
	t.Run("ReplayDeadLetters", func(t *testing.T) {
		b, topic := newBackend(t), topicOf(t)
		dl := deadLetters(t, b)
		var fixed atomic.Bool
		var handled atomic.Int32
		consume(t, b, topic, broker.ConsumerOptions{Group: "g"}, func(_ context.Context, m *broker.Message) error {
			if !fixed.Load() {
				return errors.New("bug")
			}
			if m.Attempt != 1 {
				return fmt.Errorf("replayed with attempt %d, want 1", m.Attempt)
			}
			handled.Add(1)
			return nil
		})
		publish(t, b, topic, &broker.Message{ID: "m1", Body: []byte("x")})
		eventually(t, func() bool { l, _ := dl.ListDeadLetters(context.Background(), topic, "g", 10); return len(l) == 1 })
		fixed.Store(true) // the bug is fixed and deployed
		n, err := dl.Replay(context.Background(), topic, "g", "m1")
		if err != nil || n != 1 {
			t.Fatalf("Replay: %d %v", n, err)
		}
		eventually(t, func() bool { return handled.Load() == 1 })
		if l, _ := dl.ListDeadLetters(context.Background(), topic, "g", 10); len(l) != 0 {
			t.Fatalf("%d dead letters left after replay", len(l))
		}
	})
	t.Run("TimeoutCountsAsFailure", func(t *testing.T) {
		b, topic := newBackend(t), topicOf(t)
		var attempts atomic.Int32
		deadlines := make(chan bool, 5)
		consume(t, b, topic, broker.ConsumerOptions{Group: "g", Timeout: 100 * time.Millisecond, Retry: 1}, func(ctx context.Context, _ *broker.Message) error {
			attempts.Add(1)
			<-ctx.Done()
			deadlines <- errors.Is(ctx.Err(), context.DeadlineExceeded)
			return ctx.Err()
		})
		publish(t, b, topic, &broker.Message{Body: []byte("slow")})
		eventually(t, func() bool { return attempts.Load() == 2 })
		if !<-deadlines {
			t.Fatal("the handler's context did not carry the timeout")
		}
	})
	t.Run("ConcurrencyAndTransport", func(t *testing.T) {
		b, topic := newBackend(t), topicOf(t)
		var running, peak atomic.Int32
		var kinds sync.Map
		consume(t, b, topic, broker.ConsumerOptions{Group: "g", Concurrency: 4}, func(ctx context.Context, _ *broker.Message) error {
			if tr, ok := transport.FromServerContext(ctx); ok {
				kinds.Store(string(tr.Kind())+" "+tr.Operation(), true)
			}
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(200 * time.Millisecond)
			running.Add(-1)
			return nil
		})
		for range 8 {
			publish(t, b, topic, &broker.Message{Body: []byte("x")})
		}
		eventually(t, func() bool { return peak.Load() == 4 })
		if _, ok := kinds.Load("queue " + topic); !ok {
			t.Fatal("the handler's context has no queue transport naming the topic")
		}
	})
	t.Run("StopReleasesWhatIsStillRunning", func(t *testing.T) {
		b, topic := newBackend(t), topicOf(t)
		entered, release := make(chan struct{}, 1), make(chan struct{})
		c, err := broker.NewConsumer(b, topic, func(ctx context.Context, _ *broker.Message) error {
			entered <- struct{}{}
			<-release // still running when Stop gives up, as a handler ignoring its context is
			return nil
		}, broker.ConsumerOptions{Group: "g", Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Start(context.Background()) }()
		defer func() {
			close(release)
			<-done // Start returns once the released handler did
		}()
		publish(t, b, topic, &broker.Message{ID: "held", Body: []byte("x")})
		recv(t, entered)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := c.Stop(ctx); err == nil || !strings.Contains(err.Error(), "1 messages still being handled were released") {
			t.Fatalf("Stop: %v", err)
		}
		again := make(chan *broker.Message, 1)
		consume(t, newBackend(t), topic, broker.ConsumerOptions{Group: "g"}, func(_ context.Context, m *broker.Message) error {
			again <- m
			return nil
		})
		if m := recv(t, again); m.ID != "held" {
			t.Fatalf("redelivered %s, want held", m.ID)
		}
	})
}

// deadLetters is b's dead letters: every backend lists and replays them
// (`queue retry` needs it), so one that cannot fails the contract.
func deadLetters(t *testing.T, b broker.Backend) broker.DeadLetters {
	t.Helper()
	dl, ok := b.(broker.DeadLetters)
	if !ok {
		t.Fatalf("%T does not implement broker.DeadLetters: `queue retry` could not list or replay its dead letters", b)
	}
	return dl
}

// quiet discards the consumers' logs, unless GOX_TEST_LOG is set.
func quiet() *slog.Logger {
	if os.Getenv("GOX_TEST_LOG") != "" {
		return slog.Default()
	}
	return slog.New(slog.DiscardHandler)
}

func consume(t *testing.T, b broker.Backend, topic string, o broker.ConsumerOptions, h broker.Handler) {
	t.Helper()
	if o.Logger == nil {
		o.Logger = quiet()
	}
	c, err := broker.NewConsumer(b, topic, h, o)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Start(context.Background()) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Stop(ctx)
		<-done
	})
}

func publish(t *testing.T, b broker.Backend, topic string, m *broker.Message, opts ...broker.PublishOption) {
	t.Helper()
	if err := b.Publish(context.Background(), topic, m, opts...); err != nil {
		t.Fatal(err)
	}
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("nothing delivered within 10s")
	}
	var zero T
	return zero
}

func none[T any](t *testing.T, ch <-chan T, d time.Duration) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected delivery: %v", v)
	case <-time.After(d):
	}
}

func eventually(t *testing.T, ok func() bool) {
	t.Helper()
	goxtest.Eventually(t, 10*time.Second, ok)
}

// RunOutage is the fault test of backends with a server: a producer
// publishes n messages, and on until the outage is over, through pub — retrying each failed publish with the
// same id, as a careful producer does — while a 4-way consumer of group
// "billing" on sub records them; once a third is published, outage takes
// the server away and brings it back. It fails unless at least one publish
// failed during the outage and every message whose publish succeeded is
// consumed: producers and consumers recover by themselves and nothing
// acknowledged is lost.
func RunOutage(t *testing.T, pub, sub broker.Backend, n int, outage func()) {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	consumed := map[string]bool{}
	consume(t, sub, "payments", broker.ConsumerOptions{Group: "billing", Concurrency: 4}, func(_ context.Context, m *broker.Message) error {
		mu.Lock()
		consumed[m.ID] = true
		mu.Unlock()
		return nil
	})
	var acked, failures atomic.Int32
	var over atomic.Bool // the outage has ended: the producer may stop once it published n
	done := make(chan struct{})
	go func() {
		defer close(done)
		// it publishes until the outage is over, however long stopping the
		// server takes (rabbitmqctl alone takes seconds on a busy machine)
		for i := 0; i < n || !over.Load(); i++ {
			id := fmt.Sprintf("pay-%d", i)
			for pub.Publish(ctx, "payments", &broker.Message{ID: id, Body: []byte(id)}) != nil {
				failures.Add(1)
				time.Sleep(50 * time.Millisecond)
			}
			acked.Add(1)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	goxtest.Eventually(t, 20*time.Second, func() bool { return acked.Load() >= int32(n/3) })
	outage()
	over.Store(true)
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		t.Fatalf("the producer did not recover: %d of %d published", acked.Load(), n)
	}
	if failures.Load() == 0 {
		t.Fatal("no publish failed while the server was away; the outage did not happen")
	}
	total := int(acked.Load())
	goxtest.Eventually(t, 30*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(consumed) >= total })
	mu.Lock()
	defer mu.Unlock()
	var missing []string
	for i := range total {
		if id := fmt.Sprintf("pay-%d", i); !consumed[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d acknowledged messages never consumed: %s", len(missing), strings.Join(missing, ","))
	}
	t.Logf("%d published (%d failed attempts during the outage), %d distinct consumed", acked.Load(), failures.Load(), len(consumed))
}
