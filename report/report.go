// Package report carries the failures a service did not expect to a
// Reporter: a 5xx answer or a panic on any transport, a job that
// dead-letters or panics, a failing event listener, a panicking goroutine
// started through gox, a profile captured on a resource spike. Sentry and
// email reporters live in contrib modules; any type with a Report method
// is one.
//
// Reporting never slows a request down: the failures are handed to a
// bounded queue and reported from a goroutine of its own (Dispatcher); when
// the queue is full a report is dropped and counted, never waited for.
// Expected failures — the 4xx class: bad input, not found, rate limited —
// are not reported unless configured.
//
// The hooks that feed a Dispatcher: Middleware on the HTTP and gRPC chains,
// broker.ConsumerOptions.Reporter for dead-lettered and panicking jobs,
// event.WithReporter for listeners run by an event Channel, and Go for
// goroutines. docs/alerts.md shows the wiring.
package report

import (
	"context"
	"net/http"
	"time"
)

// Kind says where a failure happened.
type Kind string

// Kinds.
const (
	KindHTTP      Kind = "http"      // an HTTP request
	KindGRPC      Kind = "grpc"      // a gRPC call
	KindQueue     Kind = "queue"     // a queue job (dead-lettered, or panicked)
	KindEvent     Kind = "event"     // an event listener
	KindGoroutine Kind = "goroutine" // a goroutine started through gox
	KindProfile   Kind = "profile"   // a resource spike, with its profile attached
)

// Report is one failure, with what is known of where it happened.
type Report struct {
	Time time.Time
	Kind Kind
	// Operation is what failed, as the middleware names it: "GET
	// /v1/users/:id", "/pkg.Service/Method", a topic, an event type.
	Operation string

	// Err is the failure. Code (the HTTP status of gox's error, 500 for
	// an error gox does not know), Reason and Message are read from it.
	Err     error
	Code    int
	Reason  string
	Message string
	// Stack is where the error was made or the panic happened, as
	// runtime.Stack or errors.Error.Stack writes it.
	Stack string
	// Panic says the failure is a recovered panic.
	Panic bool

	RequestID, TraceID, SpanID string
	// Service, Version and Environment are the reporting service's.
	Service, Version, Environment string

	// HTTP is the request, for KindHTTP; its headers are redacted.
	HTTP *HTTP
	// Tags are what else is known: the job's topic and attempt, the
	// event's id and source, the profile's rule.
	Tags map[string]string
	// Attachments are files that go with the report: a captured profile.
	Attachments []Attachment
}

// HTTP describes the request of an HTTP report.
type HTTP struct {
	Method, Path, Query string
	// Header holds the request's headers, the secret ones (Authorization,
	// Cookie, and those configured) replaced by "[redacted]".
	Header http.Header
}

// Attachment is a file that goes with a report.
type Attachment struct {
	Name, ContentType string
	Data              []byte
}

// Reporter sends reports somewhere: Sentry, email, a log. Report may block
// and fail: it is called from the Dispatcher's goroutine, one report at a
// time per reporter, never on a request's path. A Reporter that panics is
// recovered and counted. r is shared with the other reporters: read it,
// do not change it.
type Reporter interface {
	Report(ctx context.Context, r *Report) error
}

// ReporterFunc is a function as a Reporter.
type ReporterFunc func(ctx context.Context, r *Report) error

// Report calls f.
func (f ReporterFunc) Report(ctx context.Context, r *Report) error { return f(ctx, r) }

// Flusher is a Reporter that holds reports back (batches, groups) and can
// be asked to send them, as the service stops.
type Flusher interface {
	Flush(ctx context.Context) error
}
