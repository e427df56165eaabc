package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/goxkit/gox/broker"
)

// Sink receives audit records. Write is called once per record, with a
// context that times out after Config.WriteTimeout; an error is counted and
// logged by the Auditor, never returned to the caller of the audited
// operation. Write must be safe for concurrent use and must not keep r.
type Sink interface {
	Write(ctx context.Context, r *Record) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, r *Record) error

// Write calls f.
func (f SinkFunc) Write(ctx context.Context, r *Record) error { return f(ctx, r) }

// LogSink writes each record to l as one info line, message "audit", its
// fields as attributes. Give it a logger of its own (OpenLog) to keep the
// audit trail apart from the service's log.
func LogSink(l *slog.Logger) Sink { return logSink{l} }

type logSink struct{ l *slog.Logger }

func (s logSink) Write(_ context.Context, r *Record) error {
	attrs := make([]slog.Attr, 0, 14)
	attrs = append(attrs,
		slog.Time("started", r.Time),
		slog.String("subject", r.Subject),
		slog.String("operation", r.Operation),
		slog.String("kind", r.Kind))
	if len(r.Resources) > 0 {
		res := make([]any, 0, len(r.Resources))
		for k, v := range r.Resources {
			res = append(res, slog.String(k, v))
		}
		attrs = append(attrs, slog.Group("resources", res...))
	}
	for _, kv := range [...][2]string{{"request_id", r.RequestID}, {"trace_id", r.TraceID}, {"client", r.Client}} {
		if kv[1] != "" {
			attrs = append(attrs, slog.String(kv[0], kv[1]))
		}
	}
	attrs = append(attrs, slog.String("outcome", r.Outcome), slog.Int("code", r.Code))
	if r.Reason != "" {
		attrs = append(attrs, slog.String("reason", r.Reason))
	}
	attrs = append(attrs, slog.Duration("latency", r.Latency))
	if len(r.Request) > 0 {
		attrs = append(attrs, slog.String("request", string(r.Request)))
	}
	// Logged without the request's context: the record names the request
	// and trace itself, and the context's attributes would repeat them.
	s.l.LogAttrs(context.Background(), slog.LevelInfo, "audit", attrs...)
	return nil
}

// BrokerSink publishes each record to topic as one message: the record's
// JSON as the body (Record.MarshalJSON), the subject as the ordering key,
// a content-type header of application/json. Publish with a
// broker.Producer to carry trace context and request id in the headers.
// Publishing to contrib/broker/dbbroker makes the record durable, and
// transactional with Commit.
func BrokerSink(p broker.Publisher, topic string) Sink { return &brokerSink{p: p, topic: topic} }

type brokerSink struct {
	p     broker.Publisher
	topic string
}

func (s *brokerSink) Write(ctx context.Context, r *Record) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("audit: encode record: %w", err)
	}
	msg := &broker.Message{Key: r.Subject, Body: body, Headers: map[string]string{"content-type": "application/json"}}
	if err := s.p.Publish(ctx, s.topic, msg); err != nil {
		return fmt.Errorf("audit: publish to %s: %w", s.topic, err)
	}
	return nil
}
