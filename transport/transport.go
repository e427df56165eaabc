// Package transport holds the contracts every transport implements: a Server
// that the App starts and stops, and a Transporter that tells middleware which
// operation is running and gives it the request and reply headers. It owns no
// protocol; transport/http and transport/grpc do.
package transport

import (
	"context"
	"maps"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Server is anything the App runs: an HTTP or gRPC server, a queue consumer, an
// event listener, a scheduler.
//
// Start blocks while the server serves and returns nil once Stop has made it
// return; any other return is a failure that stops the App. Stop makes Start
// return: it stops accepting new work, waits for in-flight work until ctx is
// done, then abandons what is left. Both are called at most once.
type Server interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Endpointer is implemented by servers that listen on an address. The App calls
// Endpoint before Start: the server binds its listener there, so a port in use
// stops the App before anything is registered, and the returned URL is what
// gets registered.
type Endpointer interface {
	Endpoint() (*url.URL, error)
}

// Kind names a transport in metrics, logs and spans.
type Kind string

// The kinds of transport gox ships.
const (
	KindHTTP Kind = "http"
	KindGRPC Kind = "grpc"
	// KindQueue is a message consumed from a broker.
	KindQueue Kind = "queue"
)

// Header is a transport's header map: HTTP headers or gRPC metadata.
type Header interface {
	Get(key string) string
	Set(key, value string)
	Add(key, value string)
	Keys() []string
	Values(key string) []string
}

// HeaderRanger is implemented by Headers that can be walked without copying
// their keys; Range calls f for each key until f returns false.
type HeaderRanger interface {
	Range(f func(key string, values []string) bool)
}

// Idempotent is implemented by client Transporters that know whether their
// call may safely be repeated: HTTP by method (RFC 9110 §9.2.2), gRPC by the
// method's idempotency_level option or the client's own list.
type Idempotent interface {
	Idempotent() bool
}

// HeaderValuesSetter is implemented by Headers that can keep a caller's
// slice of values instead of allocating their own, which a middleware setting
// a header on every request cares about. SetValues(key, vs) is Set(key, v)
// for vs == []string{v}; the caller hands vs over and must not change it.
type HeaderValuesSetter interface {
	SetValues(key string, vs []string)
}

// SetValues sets key to vs on h, keeping vs when h allows it; vs must not
// be empty.
func SetValues(h Header, key string, vs []string) {
	if s, ok := h.(HeaderValuesSetter); ok {
		s.SetValues(key, vs)
		return
	}
	h.Set(key, vs[0])
	for _, v := range vs[1:] {
		h.Add(key, v)
	}
}

// Key is a header name prepared once for the lookups a middleware makes on
// every request. HTTP headers store names in canonical form (X-Request-Id),
// gRPC metadata in lower case (x-request-id); converting a name on each call
// costs HTTP a scan of it and gRPC an allocation. A Header implementing
// KeyHeader takes the form it stores from the Key instead.
//
//	var requestID = transport.NewKey("X-Request-Id")
//	id := transport.GetKey(tr.RequestHeader(), requestID)
type Key struct{ canonical, lower string }

// NewKey prepares name.
func NewKey(name string) Key {
	return Key{canonical: textproto.CanonicalMIMEHeaderKey(name), lower: strings.ToLower(name)}
}

// Canonical returns the name in canonical MIME form, as HTTP stores it.
func (k Key) Canonical() string { return k.canonical }

// Lower returns the name in lower case, as gRPC metadata stores it.
func (k Key) Lower() string { return k.lower }

// KeyHeader is implemented by Headers that look a prepared Key up directly.
type KeyHeader interface {
	// GetKey is Get(k's name).
	GetKey(k Key) string
	// SetKey is SetValues(k's name, vs): the caller hands vs over.
	SetKey(k Key, vs []string)
}

// GetKey returns the first value of k in h, or "".
func GetKey(h Header, k Key) string {
	if kh, ok := h.(KeyHeader); ok {
		return kh.GetKey(k)
	}
	return h.Get(k.canonical)
}

// SetKey sets k to vs on h as SetValues does; vs must not be empty.
func SetKey(h Header, k Key, vs []string) {
	if kh, ok := h.(KeyHeader); ok {
		kh.SetKey(k, vs)
		return
	}
	SetValues(h, k.canonical, vs)
}

// HeaderMap is implemented by Headers backed by a map of values (HTTP
// headers, gRPC metadata). Map returns that map for reading in place: a range
// over it costs no closure, which a middleware on every request cares about.
// The map must not be kept or changed.
type HeaderMap interface {
	Map() map[string][]string
}

// RangeValues walks a map-backed header (HTTP headers, gRPC metadata) for
// HeaderRanger implementations.
func RangeValues(m map[string][]string, f func(key string, values []string) bool) {
	for k, v := range m {
		if !f(k, v) {
			return
		}
	}
}

// RangeHeader walks h with Range when it has one, and through Keys otherwise.
func RangeHeader(h Header, f func(key string, values []string) bool) {
	if r, ok := h.(HeaderRanger); ok {
		r.Range(f)
		return
	}
	for _, k := range h.Keys() {
		if !f(k, h.Values(k)) {
			return
		}
	}
}

// MapHeader is a Header over a map with one value per key: message and
// event attributes (broker messages, CloudEvents extensions).
type MapHeader map[string]string

// Get implements Header.
func (h MapHeader) Get(k string) string { return h[k] }

// Set implements Header.
func (h MapHeader) Set(k, v string) { h[k] = v }

// Add implements Header; a key holds one value, so it replaces.
func (h MapHeader) Add(k, v string) { h[k] = v }

// Keys implements Header.
func (h MapHeader) Keys() []string { return slices.Collect(maps.Keys(h)) }

// Values implements Header.
func (h MapHeader) Values(k string) []string {
	if v, ok := h[k]; ok {
		return []string{v}
	}
	return nil
}

// Transporter describes the call a middleware is running in.
type Transporter interface {
	Kind() Kind
	// Endpoint is the server address (server side) or the target (client side).
	Endpoint() string
	// Operation is the route template ("GET /users/:id") or the full gRPC method
	// ("/helloworld.Greeter/SayHello"): bounded, so it can label metrics.
	Operation() string
	RequestHeader() Header
	ReplyHeader() Header
}

type serverKey struct{}
type clientKey struct{}

// NewServerContext returns ctx carrying the server side Transporter.
func NewServerContext(ctx context.Context, tr Transporter) context.Context {
	return &ServerContext{Context: ctx, Transporter: tr}
}

// ServerContext is the context node NewServerContext returns. A transport may
// embed it in its per-request state, so that state and node are one
// allocation:
//
//	st := &requestState{...}
//	st.ServerContext = transport.ServerContext{Context: parent, Transporter: &st.tr}
//	next(&st.ServerContext, req)
type ServerContext struct {
	context.Context
	Transporter Transporter
}

// Value answers the server Transporter key (with c itself, so that
// FromServerContext asserts a concrete type rather than an interface) and
// defers everything else to the parent.
func (c *ServerContext) Value(key any) any {
	if _, ok := key.(serverKey); ok {
		return c
	}
	return c.Context.Value(key)
}

// Started is implemented by Transporters that record when their request
// arrived, so that middlewares timing it need not read the clock again.
type Started interface {
	Start() time.Time
}

// StartTime returns when tr's request arrived, or now when tr does not say.
func StartTime(tr Transporter) time.Time {
	if s, ok := tr.(Started); ok {
		if t := s.Start(); !t.IsZero() {
			return t
		}
	}
	return time.Now()
}

// Ended is implemented by Transporters that record when their handler
// returned, so that the middlewares timing a request (access log, metrics)
// read the clock once between them and report the same latency.
type Ended interface {
	End() time.Time
}

// EndTime returns when tr's handler returned, or now when tr does not say
// (a middleware answered without calling the handler, or tr keeps no end).
func EndTime(tr Transporter) time.Time {
	if e, ok := tr.(Ended); ok {
		if t := e.End(); !t.IsZero() {
			return t
		}
	}
	return time.Now()
}

// FromServerContext returns the server side Transporter of ctx.
func FromServerContext(ctx context.Context) (Transporter, bool) {
	sc, ok := ctx.(*ServerContext)
	if !ok {
		sc, ok = ctx.Value(serverKey{}).(*ServerContext)
	}
	if !ok || sc.Transporter == nil {
		return nil, false
	}
	return sc.Transporter, true
}

// NewClientContext returns ctx carrying the client side Transporter.
func NewClientContext(ctx context.Context, tr Transporter) context.Context {
	return context.WithValue(ctx, clientKey{}, tr)
}

// FromClientContext returns the client side Transporter of ctx.
func FromClientContext(ctx context.Context) (Transporter, bool) {
	tr, ok := ctx.Value(clientKey{}).(Transporter)
	return tr, ok
}
