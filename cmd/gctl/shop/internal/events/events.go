// scaffolded by gctl; safe to edit.

// Package events binds CloudEvents types to their listeners (the seed's
// internal/events). The service receives events on POST /event, and `go run . event listen` consumes them from the
// queue topic event.topic. To send one:
//
//	e, err := event.New(events.ExampleCreated, "/shop", payload)
//	err = event.NewHTTPSender(client).Send(ctx, e)               // to a peer's /event, synchronous
//	err = event.NewBrokerSender(d.Producer, cfg.Event.Topic).Send(ctx, e) // through the queue
package events

import (
	"context"
	"log/slog"

	"github.com/goxkit/gox/event"
)

// ExampleCreated is the type of the example event.
const ExampleCreated = "com.example.created"

// Example listens to ExampleCreated. Listeners must be idempotent: an event
// can arrive twice (a retried HTTP call, a redelivered message).
type Example struct {
	Logger *slog.Logger
}

// Handle implements event.Listener; an error goes back to an HTTP or gRPC
// sender, or makes the queue deliver the event again.
func (l Example) Handle(ctx context.Context, e event.Event) error {
	var data map[string]any
	if e.Data != nil {
		if err := e.DataAs(&data); err != nil {
			return err
		}
	}
	l.Logger.InfoContext(ctx, "example event", "id", e.ID, "source", e.Source, "subject", e.Subject, "data", data)
	return nil
}

// Listeners binds each event type to its listeners, run in this order (the
// seed's map[string][]Listener).
func Listeners(logger *slog.Logger) event.Listeners {
	return event.Listeners{
		ExampleCreated: {Example{Logger: logger}},
	}
}
