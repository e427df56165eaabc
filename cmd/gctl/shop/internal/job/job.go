// scaffolded by gctl; safe to edit.

// Package job holds the queue's jobs and who consumes what (the seed's
// internal/jobs and consumer list). `go run . queue example` runs the
// example's consumers; anything publishes to it with
//
//	data.Producer.Send(ctx, job.ExampleTopic, key, body, delay)
package job

import (
	"context"
	"log/slog"
	"time"

	"github.com/goxkit/gox/broker"
)

// ExampleTopic is the topic Example consumes.
const ExampleTopic = "example-topic"

// Example is a job: it runs once per message, and its error makes the
// message come back after Sleep, up to Retry times, then go to the dead
// letters (`go run . queue retry` sends them back).
type Example struct {
	Logger *slog.Logger
}

// Handle implements broker.Job. Jobs must be idempotent: a message can be
// delivered again (at least once), so record work by msg.ID.
func (j Example) Handle(ctx context.Context, msg *broker.Message) error {
	j.Logger.InfoContext(ctx, "example job", "id", msg.ID, "key", msg.Key, "attempt", msg.Attempt, "bytes", len(msg.Body))
	return nil
}

// Consumers maps each `queue <name>` command to its topic and consumer list
// (the seed's queue.NewConsumer(topic, consumers)).
func Consumers(logger *slog.Logger) map[string]Topic {
	return map[string]Topic{
		"example": {Topic: ExampleTopic, Subscriptions: []broker.Subscription{
			{Queue: "example-queue", Job: Example{Logger: logger}, Retry: 3, Sleep: time.Second, Timeout: 30 * time.Second},
		}},
	}
}

// Topic is a topic and who consumes it.
type Topic struct {
	Topic         string
	Subscriptions []broker.Subscription
}
