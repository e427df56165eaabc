// Package eventhttp is the event bus over gox's HTTP transport: Route
// mounts the event route on a gox HTTP server, Sender posts events to a
// peer's route through a gox HTTP client. The CloudEvents HTTP formats
// themselves (binary, structured and batched modes) are package event's
// ReadHTTP, WriteHTTP and ReadHTTPBatch, which need only net/http; this
// package is what brings in the transport (and gin), for services that serve
// or send events over HTTP.
//
//	eventhttp.Route(s, bus, "")                       // POST /event
//	err := eventhttp.NewSender(client).Send(ctx, e)   // to a peer's /event
package eventhttp

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/event"
	xhttp "github.com/goxkit/gox/transport/http"
)

// DefaultPath is the route Route mounts and Sender posts to unless told
// otherwise.
const DefaultPath = "/event"

// Route mounts POST path (DefaultPath when empty) on s: it reads a CloudEvent
// in binary or structured mode, or a batch (application/cloudevents-batch+json),
// answers 400 naming the attribute when it is invalid (a batch with one
// invalid event is refused whole, before any listener runs; 413 over the
// server's body limit), dispatches it to bus and answers 202 with no body once
// every listener returned. A listener's error is the response (see
// event.Listener: a coded 4xx says do not send again, anything else 5xx). The
// server's middleware chain runs around it.
func Route(s *xhttp.Server, bus *event.Bus, path string) {
	if path == "" {
		path = DefaultPath
	}
	s.POST(path, func(c *xhttp.Context) error {
		var events []event.Event
		var err error
		if event.IsBatch(c.Request.Header) {
			events, err = event.ReadHTTPBatch(c.Request.Header, c.Request.Body, 1<<62)
		} else {
			var e event.Event
			e, err = event.ReadHTTP(c.Request.Header, c.Request.Body, 1<<62)
			events = []event.Event{e}
		}
		if err != nil {
			if coded := event.Coded(err); coded != err {
				return coded
			}
			return errors.BadRequest(event.ReasonInvalid, err.Error()).WithCause(err) // an unreadable body
		}
		if err := bus.DispatchBatch(c.Request.Context(), events); err != nil {
			return err
		}
		c.Status(http.StatusAccepted)
		return nil
	})
}

// Sender sends events to a peer's event route, synchronously: Send returns
// the listeners' outcome as a coded error.
type Sender struct {
	c          *xhttp.Client
	path       string
	structured bool
}

var _ event.Sender = (*Sender)(nil)

// Option configures a Sender.
type Option func(*Sender)

// Structured sends events as application/cloudevents+json instead of the
// default binary mode.
func Structured() Option { return func(s *Sender) { s.structured = true } }

// WithPath sends to path instead of DefaultPath.
func WithPath(p string) Option { return func(s *Sender) { s.path = p } }

// NewSender sends through c (a gox HTTP client: its chain runs) to the event
// route of the service c points at.
func NewSender(c *xhttp.Client, opts ...Option) *Sender {
	s := &Sender{c: c, path: DefaultPath}
	for _, f := range opts {
		f(s)
	}
	return s
}

// Send implements event.Sender.
func (s *Sender) Send(ctx context.Context, e event.Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	h := http.Header{}
	body, err := event.WriteHTTP(h, e, s.structured)
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
