package event

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"

	gerrors "github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/report"
	"github.com/goxkit/gox/transport"
)

// Listener handles events of the types it is bound to. An error is the
// sender's to see (HTTP, gRPC) or retried and dead-lettered (broker). Its
// kind tells the sender whether to send again: a coded 4xx from gox's errors
// package (errors.BadRequest, errors.Conflict ..., or DataAs's error) means
// "this event will never be accepted" — HTTP answers that status with its
// reason, gRPC the matching code, a queue dead-letters the event at once —;
// any other error (a plain one, a coded 5xx, 429) means "try again later"
// and is answered 5xx (a plain error as 500 with reason
// EVENT_LISTENER_FAILED).
type Listener interface {
	Handle(ctx context.Context, e Event) error
}

// ListenerFunc adapts a function to Listener.
type ListenerFunc func(ctx context.Context, e Event) error

// Handle implements Listener.
func (f ListenerFunc) Handle(ctx context.Context, e Event) error { return f(ctx, e) }

// Listeners binds event types to their listeners, run in this order.
type Listeners map[string][]Listener

// UnknownPolicy is what the bus does with an event of a type nobody
// listens to.
type UnknownPolicy int

const (
	// UnknownAck logs the event and acknowledges it (the default): a
	// producer ahead of its consumers does not block a queue.
	UnknownAck UnknownPolicy = iota
	// UnknownReject returns ErrUnknownType: HTTP answers 404, gRPC
	// NotFound, a broker consumer dead-letters the event at once.
	UnknownReject
)

// ErrUnknownType is returned for an event nobody listens to, with
// UnknownReject.
var ErrUnknownType = errors.New("event: no listener for this event type")

// Bus dispatches events to the listeners of their type.
type Bus struct {
	mu        sync.RWMutex
	listeners Listeners
	unknown   UnknownPolicy
	logger    *slog.Logger
	chain     middleware.Middleware
	reporter  report.Submitter
}

// BusOption configures a Bus.
type BusOption func(*Bus)

// WithUnknown sets the policy for events nobody listens to.
func WithUnknown(p UnknownPolicy) BusOption { return func(b *Bus) { b.unknown = p } }

// WithLogger logs unknown events and failing listeners to l.
func WithLogger(l *slog.Logger) BusOption { return func(b *Bus) { b.logger = l } }

// WithReporter reports to s the events whose listeners fail or panic when
// a Channel dispatches them, as reports of kind event (operation the event
// type, tags the event's id and source); the dispatcher leaves out the
// expected failures (4xx). Where events arrive over a broker, HTTP or gRPC
// the transport reports them (broker.ConsumerOptions.Reporter,
// report.Middleware), and a direct Dispatch returns its error to the
// caller: neither is reported here, so nothing is reported twice.
func WithReporter(s report.Submitter) BusOption { return func(b *Bus) { b.reporter = s } }

// WithMiddleware runs mws around each dispatch that does not already run
// inside a server's chain (the channel sender's): logging, metrics and
// tracing see an "event" transport whose operation is the event type.
func WithMiddleware(mws ...middleware.Middleware) BusOption {
	return func(b *Bus) { b.chain = middleware.Chain(mws...) }
}

// NewBus returns a bus with these listeners.
func NewBus(ls Listeners, opts ...BusOption) *Bus {
	b := &Bus{listeners: Listeners{}, logger: slog.Default()}
	for t, l := range ls {
		b.listeners[t] = slices.Clone(l)
	}
	for _, f := range opts {
		f(b)
	}
	return b
}

// On adds listeners for an event type.
func (b *Bus) On(typ string, ls ...Listener) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.listeners[typ] = append(b.listeners[typ], ls...)
}

// Types returns the event types with listeners, sorted.
func (b *Bus) Types() []string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return slices.Sorted(maps.Keys(b.listeners))
}

// KindEvent is the transport kind of an event dispatched in process.
const KindEvent transport.Kind = "event"

// Dispatch validates e and runs every listener of its type, in the order
// they were bound; all run even when one fails, and their errors are
// joined. An event nobody listens to follows the bus's UnknownPolicy.
func (b *Bus) Dispatch(ctx context.Context, e Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	b.mu.RLock()
	ls := b.listeners[e.Type]
	b.mu.RUnlock()
	if len(ls) == 0 {
		if b.unknown == UnknownReject {
			b.logger.WarnContext(ctx, "event of an unknown type rejected", "type", e.Type, "id", e.ID, "source", e.Source)
			return fmt.Errorf("%w: %s", ErrUnknownType, e.Type)
		}
		b.logger.InfoContext(ctx, "event of an unknown type acknowledged", "type", e.Type, "id", e.ID, "source", e.Source)
		return nil
	}
	run := func(ctx context.Context, _ any) (any, error) {
		var errs []error
		for _, l := range ls {
			if err := l.Handle(ctx, e); err != nil {
				errs = append(errs, err)
			}
		}
		return nil, listenerError(e, errs)
	}
	if _, ok := transport.FromServerContext(ctx); ok || b.chain == nil {
		_, err := run(ctx, nil)
		return err
	}
	ctx = transport.NewServerContext(ctx, &Transport{e: e})
	_, err := b.chain(run)(ctx, &e)
	return err
}

// Transport is the transport.Transporter of an event dispatched in process:
// kind "event", operation the event type, the attributes as headers.
type Transport struct {
	e     Event
	reply map[string]string
}

// Kind implements transport.Transporter.
func (t *Transport) Kind() transport.Kind { return KindEvent }

// Endpoint is the event's source.
func (t *Transport) Endpoint() string { return t.e.Source }

// Operation is the event type.
func (t *Transport) Operation() string { return t.e.Type }

// RequestHeader is the event's extensions (traceparent, request id ...).
func (t *Transport) RequestHeader() transport.Header {
	if t.e.Extensions == nil {
		t.e.Extensions = map[string]string{}
	}
	return transport.MapHeader(t.e.Extensions)
}

// ReplyHeader has no destination; it is kept for middlewares that set one.
func (t *Transport) ReplyHeader() transport.Header {
	if t.reply == nil {
		t.reply = map[string]string{}
	}
	return transport.MapHeader(t.reply)
}

// ReasonListenerFailed is the reason of a listener's error that carries no
// code of its own: the sender sees a 500 it may retry.
const ReasonListenerFailed = "EVENT_LISTENER_FAILED"

// listenerError is what the sender sees of the listeners' errors, always a
// coded error: a coded one as it is; an invalid event as a 400 naming the
// attribute; a context's error as 499/504; a plain error as a 500 with
// ReasonListenerFailed (its text stays out of production responses). With
// several, a retryable one decides (a 4xx of one listener must not stop the
// sender from retrying another's transient failure); all stay reachable with
// errors.Is and errors.As.
func listenerError(e Event, errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	first := errs[0]
	for _, err := range errs {
		if !final(err) {
			first = err
			break
		}
	}
	if ge, ok := first.(*gerrors.Error); ok && len(errs) == 1 {
		return ge
	}
	var code *gerrors.Error
	switch {
	case isCoded(first):
		code, _ = errors.AsType[*gerrors.Error](first)
	case isValidation(first):
		code, _ = Coded(first).(*gerrors.Error)
	case errors.Is(first, context.Canceled) || errors.Is(first, context.DeadlineExceeded):
		code = gerrors.FromError(first)
	default:
		code = gerrors.Internal(ReasonListenerFailed, fmt.Sprintf("a listener of event %s (%s) failed", e.Type, e.ID))
	}
	if len(errs) == 1 {
		return code.WithCause(first)
	}
	return code.WithCause(errors.Join(errs...))
}

// final reports whether err says the event will never be accepted: a coded
// 4xx other than 408, 429 and 499, or an invalid event. The sender should
// not send it again.
func final(err error) bool {
	ge, ok := errors.AsType[*gerrors.Error](err)
	if !ok {
		return isValidation(err)
	}
	return ge.Code >= 400 && ge.Code < 500 && ge.Code != 408 && ge.Code != 429 && ge.Code != gerrors.StatusClientClosed
}

func isCoded(err error) bool {
	_, ok := errors.AsType[*gerrors.Error](err)
	return ok
}

func isValidation(err error) bool {
	_, ok := errors.AsType[*ValidationError](err)
	return ok
}
