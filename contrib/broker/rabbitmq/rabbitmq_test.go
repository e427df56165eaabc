package rabbitmq_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/broker/brokertest"
	"github.com/goxkit/gox/contrib/broker/rabbitmq"
	"github.com/goxkit/gox/goxtest"
)

func config(t *testing.T) rabbitmq.Config {
	c := rabbitmq.DefaultConfig()
	c.URL = goxtest.RequireEnv(t, "AMQP_URL", "source ci/lib.sh; source ci/rabbitmq.sh; start_rabbitmq")
	c.Prefix = fmt.Sprintf("gox%d", time.Now().UnixNano()%1e6) // fresh names per test
	return c
}

func newBroker(t *testing.T, c rabbitmq.Config) *rabbitmq.Broker {
	t.Helper()
	b, err := rabbitmq.Open(context.Background(), c, rabbitmq.WithLogger(quiet()))
	return goxtest.Opened(t, b, err)
}

func quiet() *slog.Logger {
	if os.Getenv("GOX_TEST_LOG") != "" {
		return slog.Default()
	}
	return slog.New(slog.DiscardHandler)
}

func TestContract(t *testing.T) {
	c := config(t)
	brokertest.Run(t, func(t *testing.T) broker.Backend { return newBroker(t, c) })
}

// TestBrokerRestartUnderLoad stops and starts the RabbitMQ application
// (every connection drops; durable queues keep their messages) while a
// producer publishes and a consumer consumes: both reconnect on their own
// and every confirmed message is consumed.
func TestBrokerRestartUnderLoad(t *testing.T) {
	c := config(t)
	ctl := goxtest.RequireEnv(t, "RABBITMQ_CTL", "source ci/lib.sh; source ci/rabbitmq.sh; start_rabbitmq")
	c.PublishTimeout, c.ReconnectWait = time.Second, 100*time.Millisecond
	run := func(args ...string) {
		if out, err := exec.Command(ctl, args...).CombinedOutput(); err != nil {
			t.Fatalf("rabbitmqctl %v: %v\n%s", args, err, out)
		}
	}
	brokertest.RunOutage(t, newBroker(t, c), newBroker(t, c), 600, func() {
		run("stop_app")
		time.Sleep(time.Second)
		run("start_app")
	})
}

// A delay shorter than one published before it is not held up behind it:
// each delay has its own queue.
func TestDelaysDoNotBlockEachOther(t *testing.T) {
	b := newBroker(t, config(t))
	ctx := context.Background()
	got := make(chan string, 2)
	c, _ := broker.NewConsumer(b, "t", func(_ context.Context, m *broker.Message) error {
		got <- string(m.Body)
		return nil
	}, broker.ConsumerOptions{Group: "g", Logger: quiet()})
	go func() { _ = c.Start(ctx) }()
	defer c.Stop(ctx)
	_ = b.Publish(ctx, "t", &broker.Message{Body: []byte("long")}, broker.WithDelay(3*time.Second))
	_ = b.Publish(ctx, "t", &broker.Message{Body: []byte("short")}, broker.WithDelay(300*time.Millisecond))
	select {
	case v := <-got:
		if v != "short" {
			t.Fatalf("first delivered %q; want the short delay first", v)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the 300 ms message waited behind the 3 s one")
	}
}

// Bad input and an unreachable broker get clear errors, without the password.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	c := rabbitmq.DefaultConfig()
	c.URL = "amqp://app:s3cret@127.0.0.1:1/"
	c.DialTimeout = 500 * time.Millisecond
	_, err := rabbitmq.Open(ctx, c)
	if err == nil || !strings.Contains(err.Error(), "rabbitmq: broker amqp://app:xxxxx@127.0.0.1:1/ unreachable") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Open with no broker: %v", err)
	}
	c.URL = "http://nope"
	if _, err := rabbitmq.Open(ctx, c); err == nil || !strings.Contains(err.Error(), "rabbitmq: url") {
		t.Fatalf("bad url: %v", err)
	}
	c = config(t)
	c.MaxBytes = 10
	b := newBroker(t, c)
	if err := b.Publish(ctx, "t", &broker.Message{ID: "big", Body: make([]byte, 11)}); err == nil || !strings.Contains(err.Error(), "message big is 11 bytes, over the limit of 10") {
		t.Fatalf("oversized: %v", err)
	}
}

// New takes a connection the caller made: Close leaves it open, and when it
// is lost the backend connects again with WithRedial.
func TestNewOnTheCallersConnection(t *testing.T) {
	c := config(t)
	conn, err := amqp.Dial(c.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := rabbitmq.New(nil); err == nil || !strings.Contains(err.Error(), "connection is nil") {
		t.Fatalf("New(nil) = %v; want an error naming the connection", err)
	}
	b, err := rabbitmq.New(conn, rabbitmq.WithConfig(c), rabbitmq.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Subscribe(ctx, "own", "g"); err != nil {
		t.Fatal(err)
	}
	roundTrip := func(id string) {
		t.Helper()
		if err := b.Publish(ctx, "own", &broker.Message{ID: id, Body: []byte(id)}); err != nil {
			t.Fatal(err)
		}
		d, err := b.Receive(ctx, "own", "g")
		if err != nil || d.Message().ID != id {
			t.Fatalf("Receive = %v, %v; want %s", d, err, id)
		}
		if err := d.Ack(ctx); err != nil {
			t.Fatal(err)
		}
	}
	roundTrip("before")
	_ = b.Close()
	if conn.IsClosed() {
		t.Fatal("Close closed the caller's connection")
	}

	b, err = rabbitmq.New(conn, rabbitmq.WithConfig(c), rabbitmq.WithLogger(quiet()),
		rabbitmq.WithRedial(func() (*amqp.Connection, error) { return amqp.Dial(c.URL) }))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Subscribe(ctx, "own", "g"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()                                    // lost: the backend dials the same broker again
	goxtest.Eventually(t, 15*time.Second, func() bool { // publishes fail until it is back
		return b.Publish(ctx, "own", &broker.Message{ID: "after", Body: []byte("after")}) == nil
	})
	d, err := b.Receive(ctx, "own", "g")
	if err != nil || d.Message().ID != "after" {
		t.Fatalf("Receive after the reconnection = %v, %v; want after", d, err)
	}
	_ = d.Ack(ctx)
}
