package broker

import (
	"context"
	"fmt"
	"time"

	"github.com/goxkit/gox/middleware"
)

// Job is the seed's job: the work a consumer does for each message. The
// seed's Handler() *Error becomes Handle(ctx, msg) error.
type Job interface {
	Handle(ctx context.Context, msg *Message) error
}

// JobFunc adapts a function to Job.
type JobFunc func(ctx context.Context, msg *Message) error

// Handle implements Job.
func (f JobFunc) Handle(ctx context.Context, msg *Message) error { return f(ctx, msg) }

// Subscription is one entry of the seed's consumer list:
//
//	{Queue: "example-queue", Job: &jobs.Example{}, Sleep: 0, Retry: 0, Timeout: 0}
type Subscription struct {
	Queue       string        // the consumer group
	Job         Job           // what runs for each message
	Sleep       time.Duration // delay before the first retry, doubled after
	Retry       int           // retries after the first attempt
	Timeout     time.Duration // per message; 0: none
	Concurrency int           // messages at once; 0: 1
}

// NewConsumers is the seed's queue.NewConsumer(topic, consumers): one
// Consumer per subscription of topic, each running the chain mws.
func NewConsumers(b Backend, topic string, subs []Subscription, mws ...middleware.Middleware) ([]*Consumer, error) {
	out := make([]*Consumer, 0, len(subs))
	for i, s := range subs {
		if s.Job == nil {
			return nil, fmt.Errorf("broker: consumers of %s: subscription %d (%q) has no Job", topic, i, s.Queue)
		}
		c, err := NewConsumer(b, topic, s.Job.Handle, ConsumerOptions{Group: s.Queue, Concurrency: s.Concurrency,
			Timeout: s.Timeout, Retry: s.Retry, Sleep: s.Sleep, Middleware: mws})
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
