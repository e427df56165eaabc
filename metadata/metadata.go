// Package metadata carries key/value pairs that cross service boundaries with a
// request (tenant, user, feature flags). The metadata middleware moves them
// between headers and the context on both server and client side; this package
// only holds them.
package metadata

import (
	"context"
	"maps"
	"strings"
)

// MD is request metadata. Keys are lower case.
type MD map[string]string

// New returns MD with keys lower-cased.
func New(kv map[string]string) MD {
	md := make(MD, len(kv))
	for k, v := range kv {
		md[strings.ToLower(k)] = v
	}
	return md
}

// Get returns the value of key.
func (m MD) Get(key string) string { return m[strings.ToLower(key)] }

type serverKey struct{}
type clientKey struct{}

// NewServerContext returns ctx carrying md received by a server.
func NewServerContext(ctx context.Context, md MD) context.Context {
	return context.WithValue(ctx, serverKey{}, md)
}

// FromServerContext returns the metadata a server received.
func FromServerContext(ctx context.Context) (MD, bool) {
	md, ok := ctx.Value(serverKey{}).(MD)
	return md, ok
}

// AppendToClientContext returns ctx with kv added to the metadata that client
// calls made with it will send, on top of what was received.
func AppendToClientContext(ctx context.Context, kv ...string) context.Context {
	old, _ := ctx.Value(clientKey{}).(MD)
	md := make(MD, len(old)+len(kv)/2)
	maps.Copy(md, old)
	for i := 0; i+1 < len(kv); i += 2 {
		md[strings.ToLower(kv[i])] = kv[i+1]
	}
	return context.WithValue(ctx, clientKey{}, md)
}

// FromClientContext returns the metadata set for outgoing calls.
func FromClientContext(ctx context.Context) (MD, bool) {
	md, ok := ctx.Value(clientKey{}).(MD)
	return md, ok
}
