package event_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/internal/eventtest"
	"github.com/goxkit/gox/goxtest"
)

// On a queue, a listener's coded 4xx dead-letters the event at once instead
// of retrying what will never be accepted; other errors are retried.
func TestQueueDeadLettersAListenersFinalErrorAtOnce(t *testing.T) {
	b := broker.NewMemory()
	ctx := context.Background()
	var calls atomic.Int32
	bus := event.NewBus(event.Listeners{"bad.data": {event.ListenerFunc(func(ctx context.Context, e event.Event) error {
		calls.Add(1)
		return eventtest.Decodes(ctx, e)
	})}}, event.WithLogger(eventtest.Quiet()))
	c, err := event.NewConsumer(b, "events", bus, broker.ConsumerOptions{Group: "g", Retry: 3, Logger: eventtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	defer c.Stop(ctx)
	e := event.Event{SpecVersion: "1.0", ID: "bad-1", Source: "/s", Type: "bad.data", DataContentType: "application/json", Data: []byte(`[1]`)}
	if err := event.NewBrokerSender(b, "events").Send(ctx, e); err != nil {
		t.Fatal(err)
	}
	var letters []broker.DeadLetter
	goxtest.Eventually(t, 10*time.Second, func() bool {
		letters, _ = b.ListDeadLetters(ctx, "events", "g", 0)
		return len(letters) == 1
	})
	if letters[0].Attempts != 1 || calls.Load() != 1 || !strings.Contains(letters[0].Error, event.ReasonInvalidData) {
		t.Fatalf("dead letter %+v after %d calls; want it at once, with the reason", letters[0], calls.Load())
	}
}
