package grpc

import (
	"maps"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// headerCarrier adapts gRPC metadata to transport.Header.
type headerCarrier metadata.MD

func (h headerCarrier) Get(key string) string {
	if v := metadata.MD(h).Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}
func (h headerCarrier) Set(key, value string)      { metadata.MD(h).Set(key, value) }
func (h headerCarrier) Add(key, value string)      { metadata.MD(h).Append(key, value) }
func (h headerCarrier) Values(key string) []string { return metadata.MD(h).Get(key) }
func (h headerCarrier) Keys() []string             { return slices.Collect(maps.Keys(h)) }

// Transport is the transport.Transporter of a gRPC call, server or client side.
type Transport struct {
	endpoint  string
	operation string
	request   metadata.MD
	reply     metadata.MD

	// next is what the chain ends in for this call: the unary handler or
	// invoker, or a closure that runs the stream.
	next  middleware.Handler
	start time.Time
}

var _ transport.Transporter = (*Transport)(nil)

// Start is when the server took the call; zero on the client side.
func (t *Transport) Start() time.Time { return t.start }

// Kind implements transport.Transporter.
func (t *Transport) Kind() transport.Kind { return transport.KindGRPC }

// Endpoint implements transport.Transporter.
func (t *Transport) Endpoint() string { return t.endpoint }

// Operation is the full method, "/package.Service/Method".
func (t *Transport) Operation() string { return t.operation }

// RequestHeader implements transport.Transporter.
func (t *Transport) RequestHeader() transport.Header { return headerCarrier(t.request) }

// ReplyHeader implements transport.Transporter.
func (t *Transport) ReplyHeader() transport.Header { return headerCarrier(t.reply) }

// Service returns the service part of a full method name.
func Service(fullMethod string) string {
	s := strings.TrimPrefix(fullMethod, "/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[:i]
	}
	return s
}
