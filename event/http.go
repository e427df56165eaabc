package event

import (
	"bytes"
	"context"
	stderrors "errors"
	"fmt"
	"net/http"

	"github.com/goxkit/gox/errors"
	xhttp "github.com/goxkit/gox/transport/http"
)

// PathEvent is the HTTP route of the event bus (the seed's default "event"
// route).
const PathEvent = "/event"

// Reasons of the errors the event route and service answer with.
const (
	ReasonInvalid     = "INVALID_CLOUDEVENT"
	ReasonUnknownType = "UNKNOWN_EVENT_TYPE"
)

// Route mounts POST path (PathEvent when empty) on s: it reads a CloudEvent
// in binary or structured mode, or a batch (application/cloudevents-batch+json),
// answers 400 naming the attribute when it is invalid (a batch with one
// invalid event is refused whole, before any listener runs; 413 over the
// server's body limit), dispatches it to bus and answers 202 with no body once
// every listener returned. A listener's error is the response (see Listener:
// a coded 4xx says do not send again, anything else 5xx). The server's
// middleware chain runs around it.
func Route(s *xhttp.Server, bus *Bus, path string) {
	if path == "" {
		path = PathEvent
	}
	s.POST(path, func(c *xhttp.Context) error {
		var events []Event
		var err error
		if IsBatch(c.Request.Header) {
			events, err = ReadHTTPBatch(c.Request.Header, c.Request.Body, 1<<62)
		} else {
			var e Event
			e, err = ReadHTTP(c.Request.Header, c.Request.Body, 1<<62)
			events = []Event{e}
		}
		if err != nil {
			if mapped := asError(err); mapped != err {
				return mapped
			}
			return errors.BadRequest(ReasonInvalid, err.Error()).WithCause(err) // an unreadable body
		}
		if err := dispatchAll(c.Request.Context(), bus, events); err != nil {
			return err
		}
		c.Status(http.StatusAccepted)
		return nil
	})
}

// dispatchAll dispatches events in order, every one even when some fail;
// the answer is a retryable failure if there is one (the sender sends the
// batch again), else the first error.
func dispatchAll(ctx context.Context, bus *Bus, events []Event) error {
	var first error
	for _, e := range events {
		err := bus.Dispatch(ctx, e)
		if err == nil {
			continue
		}
		err = asError(err)
		if first == nil || (final(first) && !final(err)) {
			first = err
		}
	}
	return first
}

// asError maps the bus's errors onto coded errors for HTTP and gRPC; the
// listeners' errors are coded already.
func asError(err error) error {
	if _, ok := err.(*errors.Error); ok {
		return err
	}
	var verr *ValidationError
	var maxErr *http.MaxBytesError
	var tooLarge *TooLargeError
	switch {
	case stderrors.As(err, &verr):
		return errors.BadRequest(ReasonInvalid, verr.Error()).WithMetadata(map[string]string{"attribute": verr.Attribute}).WithCause(err)
	case stderrors.As(err, &maxErr):
		return errors.New(http.StatusRequestEntityTooLarge, errors.ReasonTooLarge,
			fmt.Sprintf("event is larger than %d bytes", maxErr.Limit)).WithCause(err)
	case stderrors.As(err, &tooLarge):
		return errors.New(http.StatusRequestEntityTooLarge, errors.ReasonTooLarge, tooLarge.Error()).WithCause(err)
	case stderrors.Is(err, ErrUnknownType):
		return errors.NotFound(ReasonUnknownType, err.Error()).WithCause(err)
	}
	return err
}

// HTTPSender sends events to a peer's event route, synchronously: Send
// returns the listeners' outcome as a coded error.
type HTTPSender struct {
	c          *xhttp.Client
	path       string
	structured bool
}

// HTTPOption configures an HTTPSender.
type HTTPOption func(*HTTPSender)

// Structured sends events as application/cloudevents+json instead of the
// default binary mode.
func Structured() HTTPOption { return func(s *HTTPSender) { s.structured = true } }

// WithPath sends to path instead of PathEvent.
func WithPath(p string) HTTPOption { return func(s *HTTPSender) { s.path = p } }

// NewHTTPSender sends through c (a gox HTTP client: its chain runs) to the
// event route of the service c points at.
func NewHTTPSender(c *xhttp.Client, opts ...HTTPOption) *HTTPSender {
	s := &HTTPSender{c: c, path: PathEvent}
	for _, f := range opts {
		f(s)
	}
	return s
}

// Send implements Sender.
func (s *HTTPSender) Send(ctx context.Context, e Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	h := http.Header{}
	body, err := WriteHTTP(h, e, s.structured)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.c.URL(s.path), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = h
	resp, err := s.c.Do(req)
	if err != nil {
		return fmt.Errorf("event %s (%s): send over HTTP: %w", e.Type, e.ID, err)
	}
	return resp.Body.Close()
}
