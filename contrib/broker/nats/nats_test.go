package nats_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/broker/brokertest"
	gnats "github.com/goxkit/gox/contrib/broker/nats"
	"github.com/goxkit/gox/goxtest"
)

func config(t *testing.T) gnats.Config {
	c := gnats.DefaultConfig()
	c.URL = goxtest.RequireEnv(t, "NATS_URL", "source ci/lib.sh; source ci/nats.sh; start_nats")
	return c
}

func newBroker(t *testing.T, c gnats.Config) *gnats.Broker {
	t.Helper()
	b, err := gnats.Open(context.Background(), c, gnats.WithLogger(quiet()))
	return goxtest.Opened(t, b, err)
}

func TestContract(t *testing.T) {
	c := config(t)
	c.Visibility = 2 * time.Second
	brokertest.Run(t, func(t *testing.T) broker.Backend { return newBroker(t, c) })
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// New takes a connection the caller made and owns: the backend publishes
// and consumes through it, and Close leaves it open.
func TestNewOnTheCallersConnection(t *testing.T) {
	nc, err := nats.Connect(config(t).URL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := gnats.New(nil); err == nil || !strings.Contains(err.Error(), "connection is nil") {
		t.Fatalf("New(nil) = %v; want an error naming the connection", err)
	}
	b, err := gnats.New(nc, gnats.WithConfig(config(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	topic := "own." + strconv.FormatInt(time.Now().UnixNano(), 10)
	if err := b.Subscribe(ctx, topic, "g"); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, topic, &broker.Message{ID: "m1", Body: []byte("hi")}); err != nil {
		t.Fatal(err)
	}
	d, err := b.Receive(ctx, topic, "g")
	if err != nil || d.Message().ID != "m1" || string(d.Message().Body) != "hi" {
		t.Fatalf("Receive = %v, %v; want m1", d, err)
	}
	if err := d.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	_ = b.Close()
	if nc.IsClosed() {
		t.Fatal("Close closed the caller's connection")
	}
}
