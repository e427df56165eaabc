// Package goxtest holds public test doubles and helpers for code built on gox:
// a Transporter to run middleware without a server, and helpers that start an
// HTTP or gRPC server on a free loopback port.
package goxtest

import (
	"context"
	"maps"
	"net/http"
	"slices"

	"github.com/goxkit/gox/transport"
)

// Header is a transport.Header backed by http.Header.
type Header http.Header

// Get returns the first value of key.
func (h Header) Get(key string) string { return http.Header(h).Get(key) }

// Set replaces the values of key.
func (h Header) Set(key, value string) { http.Header(h).Set(key, value) }

// SetValues sets key to vs, keeping the slice as gox's transports do.
func (h Header) SetValues(key string, vs []string) { h[http.CanonicalHeaderKey(key)] = vs }

// Add appends a value to key.
func (h Header) Add(key, value string) { http.Header(h).Add(key, value) }

// Values returns all values of key.
func (h Header) Values(key string) []string { return http.Header(h).Values(key) }

// Keys returns the header names.
func (h Header) Keys() []string { return slices.Collect(maps.Keys(h)) }

// Map returns the header's map, read in place by the metadata middleware.
func (h Header) Map() map[string][]string { return h }

// Transport is a transport.Transporter for tests.
type Transport struct {
	TKind      transport.Kind
	TEndpoint  string
	TOperation string
	Request    Header
	Reply      Header
	// TIdempotent is what Idempotent answers (for tests of retries).
	TIdempotent bool
	// TRemoteAddr is what RemoteAddr answers: the caller's host:port (for
	// tests of limits keyed by client IP).
	TRemoteAddr string
}

// RemoteAddr answers TRemoteAddr.
func (t *Transport) RemoteAddr() string { return t.TRemoteAddr }

// Idempotent answers TIdempotent: the retry middleware retries only
// idempotent calls.
func (t *Transport) Idempotent() bool { return t.TIdempotent }

var _ transport.Transporter = (*Transport)(nil)

// NewTransport returns a Transport with empty headers.
func NewTransport(kind transport.Kind, operation string) *Transport {
	return &Transport{TKind: kind, TOperation: operation, Request: Header{}, Reply: Header{}}
}

// Kind implements transport.Transporter.
func (t *Transport) Kind() transport.Kind { return t.TKind }

// Endpoint implements transport.Transporter.
func (t *Transport) Endpoint() string { return t.TEndpoint }

// Operation implements transport.Transporter.
func (t *Transport) Operation() string { return t.TOperation }

// RequestHeader implements transport.Transporter.
func (t *Transport) RequestHeader() transport.Header { return t.Request }

// ReplyHeader implements transport.Transporter.
func (t *Transport) ReplyHeader() transport.Header { return t.Reply }

// ServerContext returns ctx carrying tr as the server Transporter.
func ServerContext(ctx context.Context, tr *Transport) context.Context {
	return transport.NewServerContext(ctx, tr)
}
