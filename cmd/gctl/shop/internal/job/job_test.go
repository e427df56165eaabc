// scaffolded by gctl; safe to edit.

package job_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"

	"shop/internal/job"
)

// The example consumers get what is published to their topic (an
// in-process broker: no database needed).
func TestExampleConsumes(t *testing.T) {
	b := broker.NewMemory()
	handled := make(chan string, 1)
	topic := job.Consumers(slog.New(slog.DiscardHandler))["example"]
	subs := topic.Subscriptions
	inner := subs[0].Job
	subs[0].Job = broker.JobFunc(func(ctx context.Context, m *broker.Message) error {
		err := inner.Handle(ctx, m)
		handled <- m.Key
		return err
	})
	cs, err := broker.NewConsumers(b, topic.Topic, subs)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		go func() { _ = c.Start(context.Background()) }()
		defer c.Stop(context.Background())
	}
	if err := broker.NewProducer(b).Send(context.Background(), job.ExampleTopic, "k1", []byte("{}"), 0); err != nil {
		t.Fatal(err)
	}
	select {
	case key := <-handled:
		if key != "k1" {
			t.Fatalf("handled %q", key)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the example job did not run")
	}
}
