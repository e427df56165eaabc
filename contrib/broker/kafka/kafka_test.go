package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/broker/brokertest"
	"github.com/goxkit/gox/contrib/broker/kafka"
	"github.com/goxkit/gox/goxtest"
)

// cluster starts an in-process Kafka (franz-go's kfake) for the test, or
// uses KAFKA_BROKERS when set (a real cluster).
func cluster(t *testing.T, opts ...kfake.Opt) []string {
	t.Helper()
	if env := os.Getenv("KAFKA_BROKERS"); env != "" && len(opts) == 0 {
		return strings.Split(env, ",")
	}
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(3),
		kfake.GroupMinSessionTimeout(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

func config(brokers []string) kafka.Config {
	c := kafka.DefaultConfig()
	c.Brokers = brokers
	c.CommitInterval = 50 * time.Millisecond
	c.SessionTimeout, c.HeartbeatInterval = 3*time.Second, 100*time.Millisecond
	c.DialTimeout = 3 * time.Second
	return c
}

func newBroker(t *testing.T, c kafka.Config) *kafka.Broker {
	t.Helper()
	b, err := kafka.Open(context.Background(), c)
	return goxtest.Opened(t, b, err)
}

func TestContract(t *testing.T) {
	brokers := cluster(t)
	brokertest.Run(t, func(t *testing.T) broker.Backend { return newBroker(t, config(brokers)) })
}

// One key's messages are handled in order and one at a time, even with
// eight handlers at work; different keys run side by side.
func TestKeyOrderWithConcurrency(t *testing.T) {
	b := newBroker(t, config(cluster(t)))
	ctx := context.Background()
	const keys, per = 4, 25
	var mu sync.Mutex
	seen := map[string][]int{}
	running := map[string]bool{}
	var overlap, parallel atomic.Int32
	var inflight atomic.Int32
	c, err := broker.NewConsumer(b, "orders", func(_ context.Context, m *broker.Message) error {
		mu.Lock()
		if running[m.Key] {
			overlap.Add(1)
		}
		running[m.Key] = true
		mu.Unlock()
		if n := inflight.Add(1); n > 1 {
			parallel.Add(1)
		}
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
		inflight.Add(-1)
		n, _ := strconv.Atoi(string(m.Body))
		mu.Lock()
		running[m.Key] = false
		seen[m.Key] = append(seen[m.Key], n)
		mu.Unlock()
		return nil
	}, broker.ConsumerOptions{Group: "g", Concurrency: 8, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	defer c.Stop(ctx)
	for i := range per {
		for k := range keys {
			if err := b.Publish(ctx, "orders", &broker.Message{Key: fmt.Sprint("customer-", k), Body: []byte(strconv.Itoa(i))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	goxtest.Eventually(t, 15*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range seen {
			n += len(s)
		}
		return n == keys*per
	})
	mu.Lock()
	defer mu.Unlock()
	for k, s := range seen {
		if !slices.IsSorted(s) || len(s) != per {
			t.Fatalf("key %s handled in the order %v; want 0..%d in order", k, s, per-1)
		}
	}
	if overlap.Load() != 0 {
		t.Fatalf("%d times a key's message started while another of that key was running", overlap.Load())
	}
	if parallel.Load() == 0 {
		t.Fatal("no two messages of different keys ever ran at once")
	}
}

// A retried message keeps its place: its key's later messages wait for it,
// so the key's order holds through retries.
func TestRetryKeepsKeyOrder(t *testing.T) {
	b := newBroker(t, config(cluster(t)))
	ctx := context.Background()
	var mu sync.Mutex
	var order []string
	failed := false
	c, _ := broker.NewConsumer(b, "orders", func(_ context.Context, m *broker.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if string(m.Body) == "1" && !failed {
			failed = true
			return errors.New("flaky")
		}
		order = append(order, fmt.Sprintf("%s@%d", m.Body, m.Attempt))
		return nil
	}, broker.ConsumerOptions{Group: "g", Concurrency: 4, Retry: 2, Sleep: 200 * time.Millisecond, Logger: quiet()})
	go func() { _ = c.Start(ctx) }()
	defer c.Stop(ctx)
	for i := range 4 {
		_ = b.Publish(ctx, "orders", &broker.Message{Key: "k", Body: []byte(strconv.Itoa(i))})
	}
	goxtest.Eventually(t, 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(order) == 4 })
	if got := strings.Join(order, " "); got != "0@1 1@2 2@1 3@1" {
		t.Fatalf("handled %s; want 0@1 1@2 2@1 3@1", got)
	}
}

// A group's replayed dead letter goes to that group only.
func TestReplayIsForTheGroupOnly(t *testing.T) {
	b := newBroker(t, config(cluster(t)))
	ctx := context.Background()
	var billing, audit atomic.Int32
	fixed := atomic.Bool{}
	start := func(group string, n *atomic.Int32, fail bool) {
		c, _ := broker.NewConsumer(b, "orders", func(context.Context, *broker.Message) error {
			if fail && !fixed.Load() {
				return errors.New("bug")
			}
			n.Add(1)
			return nil
		}, broker.ConsumerOptions{Group: group, Logger: quiet()})
		go func() { _ = c.Start(ctx) }()
		t.Cleanup(func() { _ = c.Stop(ctx) })
	}
	start("billing", &billing, true)
	start("audit", &audit, false)
	_ = b.Publish(ctx, "orders", &broker.Message{ID: "o-1", Body: []byte("x")})
	var letters []broker.DeadLetter
	goxtest.Eventually(t, 10*time.Second, func() bool {
		letters, _ = b.ListDeadLetters(ctx, "orders", "billing", 0)
		return len(letters) == 1 && audit.Load() == 1
	})
	if l := letters[0]; l.Message.ID != "o-1" || l.Error != "bug" || l.Attempts != 1 || string(l.Message.Body) != "x" {
		t.Fatalf("dead letter %+v", l)
	}
	fixed.Store(true)
	if n, err := b.Replay(ctx, "orders", "billing", "o-1", "unknown"); n != 1 || err != nil {
		t.Fatalf("Replay: %d, %v", n, err)
	}
	goxtest.Eventually(t, 10*time.Second, func() bool { return billing.Load() == 1 })
	time.Sleep(300 * time.Millisecond)
	if audit.Load() != 1 {
		t.Fatalf("audit handled %d messages; the replay for billing reached it", audit.Load())
	}
	if l, _ := b.ListDeadLetters(ctx, "orders", "billing", 0); len(l) != 0 {
		t.Fatalf("%d dead letters after the replay", len(l))
	}
}

// Bad input and unreachable brokers get clear errors, and nothing hangs.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	c := config([]string{"127.0.0.1:1"})
	c.DialTimeout = 500 * time.Millisecond
	if _, err := kafka.Open(ctx, c); err == nil || !strings.Contains(err.Error(), "brokers 127.0.0.1:1 unreachable") {
		t.Fatalf("Open with no broker: %v", err)
	}
	for _, bad := range []func(*kafka.Config){
		func(c *kafka.Config) { c.Brokers = nil },
		func(c *kafka.Config) { c.Brokers = []string{"kafka"} },
		func(c *kafka.Config) { c.Buffer = 0 },
	} {
		c := config([]string{"127.0.0.1:9092"})
		bad(&c)
		if _, err := kafka.Open(ctx, c); err == nil {
			t.Fatalf("config %+v accepted", c)
		}
	}

	addrs := cluster(t)
	c = config(addrs)
	c.MaxBytes = 10
	c.DeliveryTimeout = time.Second
	b := newBroker(t, c)
	if err := b.Publish(ctx, "t", &broker.Message{ID: "big", Body: make([]byte, 11)}); err == nil || !strings.Contains(err.Error(), "message big is 11 bytes, over the limit of 10") {
		t.Fatalf("oversized: %v", err)
	}
	if err := b.Publish(ctx, "t", &broker.Message{Body: []byte("ok")}); err != nil {
		t.Fatal(err)
	}
	// a comma-separated list in one entry, as ${KAFKA_BROKERS} gives it
	newBroker(t, config([]string{addrs[0] + ", " + addrs[0]}))
}

// The brokers going away mid-run: Publish returns an error within the
// delivery timeout, never drops the message silently or hangs.
func TestPublishFailsWhenTheBrokerIsGone(t *testing.T) {
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	c := config(kc.ListenAddrs())
	c.DeliveryTimeout = time.Second
	b := newBroker(t, c)
	ctx := context.Background()
	if err := b.Publish(ctx, "t", &broker.Message{Body: []byte("before")}); err != nil {
		t.Fatal(err)
	}
	kc.Close()
	start := time.Now()
	err = b.Publish(ctx, "t", &broker.Message{ID: "after", Body: []byte("after")})
	if err == nil || !strings.Contains(err.Error(), "kafka: publish to t") {
		t.Fatalf("publish with the broker gone: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("publish took %v to fail; the delivery timeout is 1s", d)
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// New takes a client the caller made and owns: the backend publishes and
// consumes through it, and Close leaves it open.
func TestNewOnTheCallersClient(t *testing.T) {
	brokers := cluster(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.AllowAutoTopicCreation(), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := kafka.New(nil); err == nil || !strings.Contains(err.Error(), "client is nil") {
		t.Fatalf("New(nil) = %v; want an error naming the client", err)
	}
	b, err := kafka.New(cl, kafka.WithConfig(config(brokers)), kafka.WithLogger(quiet()))
	if err == nil {
		err = b.Subscribe(ctx, "own", "g")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, "own", &broker.Message{ID: "m1", Body: []byte("hi")}); err != nil {
		t.Fatal(err)
	}
	d, err := b.Receive(ctx, "own", "g")
	if err != nil || d.Message().ID != "m1" || string(d.Message().Body) != "hi" {
		t.Fatalf("Receive = %v, %v; want m1", d, err)
	}
	_ = d.Ack(ctx)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cl.Ping(ctx); err != nil {
		t.Fatalf("the caller's client after Close: %v; want it still open", err)
	}
}
