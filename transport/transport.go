// Package transport holds the contracts every transport implements: a Server
// that the App starts and stops, and a Transporter that tells middleware which
// operation is running and gives it the request and reply headers. It owns no
// protocol; transport/http and transport/grpc do.
package transport

import (
	"context"
	"maps"
	"net/url"
	"slices"

	"github.com/goxkit/gox/internal/ctxnode"
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

type clientKey struct{}

// serverContext is the node NewServerContext makes; the transports embed the
// same type in their per-request state (internal/transportx.ServerContext).
type serverContext = ctxnode.Server[Transporter]

// NewServerContext returns ctx carrying the server side Transporter.
func NewServerContext(ctx context.Context, tr Transporter) context.Context {
	return &serverContext{Context: ctx, Transporter: tr}
}

// FromServerContext returns the server side Transporter of ctx.
func FromServerContext(ctx context.Context) (Transporter, bool) {
	sc, ok := ctx.(*serverContext)
	if !ok {
		sc, ok = ctx.Value(ctxnode.Key{}).(*serverContext)
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
