package nats_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

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
	b, err := gnats.New(context.Background(), c, gnats.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestContract(t *testing.T) {
	c := config(t)
	c.Visibility = 2 * time.Second
	brokertest.Run(t, func(t *testing.T) broker.Backend { return newBroker(t, c) })
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }
