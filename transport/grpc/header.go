package grpc

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/goxkit/gox/internal/transportx"
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
func (h headerCarrier) Set(key, value string) { metadata.MD(h).Set(key, value) }
func (h headerCarrier) Add(key, value string) { metadata.MD(h).Append(key, value) }

// SetValues implements transportx.HeaderValuesSetter.
func (h headerCarrier) SetValues(key string, vs []string) { metadata.MD(h).Set(key, vs...) }

// GetKey implements transportx.KeyHeader: metadata keys are lower case.
func (h headerCarrier) GetKey(k transportx.Key) string {
	if v := h[k.Lower()]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// SetKey implements transportx.KeyHeader.
func (h headerCarrier) SetKey(k transportx.Key, vs []string) { h[k.Lower()] = vs }

func (h headerCarrier) Values(key string) []string { return metadata.MD(h).Get(key) }
func (h headerCarrier) Keys() []string             { return slices.Collect(maps.Keys(h)) }

// Map implements transportx.HeaderMap.
func (h headerCarrier) Map() map[string][]string { return h }

// Range implements transportx.HeaderRanger.
func (h headerCarrier) Range(f func(key string, values []string) bool) { transportx.RangeValues(h, f) }

// Transport is the transport.Transporter of a gRPC call, server or client side.
type Transport struct {
	endpoint   string
	operation  string
	idempotent bool
	streaming  bool // a streaming call (server side)
	request    metadata.MD
	in         context.Context // server side: the call's context, holding the incoming metadata
	reply      metadata.MD

	// next is what the chain ends in for this call: the unary handler or
	// invoker, or a closure that runs the stream.
	next       middleware.Handler
	start, end time.Time
	// recvChecks check each message a stream receives (CheckRecv).
	recvChecks []func(msg any) error
}

var _ transport.Transporter = (*Transport)(nil)

// Start is when the server took the call; zero on the client side.
func (t *Transport) Start() time.Time { return t.start }

// End is when the server's handler returned; zero before, and on the client side.
func (t *Transport) End() time.Time { return t.end }

// Kind implements transport.Transporter.
func (t *Transport) Kind() transport.Kind { return transport.KindGRPC }

// Endpoint implements transport.Transporter.
func (t *Transport) Endpoint() string { return t.endpoint }

// Operation is the full method, "/package.Service/Method".
func (t *Transport) Operation() string { return t.operation }

// Streaming says whether the call is a client, server or bidirectional
// stream (server side): its length says how long the stream lasted, not
// how loaded the server is.
func (t *Transport) Streaming() bool { return t.streaming }

// CheckRecv has check look at every message the server receives on this
// call's stream, before the handler gets it: middleware/validate calls it,
// since a stream's messages arrive after the chain has run (the chain sees
// no request). A message check refuses is not handed over: the handler's
// Recv gets check's error as a gRPC status (a gox 400 is InvalidArgument
// with its details; errors.As finds the gox error), and so do its later
// Recv and Send calls, and the call ends with that error whatever the
// handler returns. For a server-streaming call it is the one request, which
// grpc-go's generated code receives before it calls the method: a refused
// request never reaches the method. Checks run in the order given; on a
// unary call (server side) CheckRecv does nothing, the chain having the
// request. Call it from a middleware, before the handler runs; check must
// be safe for concurrent use.
func (t *Transport) CheckRecv(check func(msg any) error) {
	if t.streaming {
		t.recvChecks = append(t.recvChecks, check)
	}
}

// RemoteAddr is the caller's address, host:port, as the connection has it
// (server side; "" on a client or when grpc-go has none).
func (t *Transport) RemoteAddr() string {
	if t.in == nil {
		return ""
	}
	if p, ok := peer.FromContext(t.in); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return ""
}

// RequestHeader implements transport.Transporter. On the server side it reads
// the incoming metadata in place and copies it only when asked for all of it
// or to change it.
func (t *Transport) RequestHeader() transport.Header {
	if t.request == nil && t.in != nil {
		return incoming{t}
	}
	return headerCarrier(t.request)
}

// ReplyHeader implements transport.Transporter. On the server side its
// metadata is sent when the chain reaches the handler and is reused by
// another call once this one's chain has returned: do not keep it.
func (t *Transport) ReplyHeader() transport.Header {
	if t.reply == nil {
		if t.in != nil {
			t.reply = replyPool.Get().(metadata.MD) // the server's: released when the call ends
		} else {
			t.reply = metadata.MD{}
		}
	}
	return headerCarrier(t.reply)
}

// replyPool holds the server side's reply metadata maps between calls. A map
// is only read by grpc.SetHeader, which copies it, before the handler runs, so
// it can go back when the chain has returned; reusing it saves the map and its
// first group, two allocations per call that sets a reply header (the request
// id's echo: every call).
var replyPool = sync.Pool{New: func() any { return metadata.MD{} }}

// releaseReply returns t's reply metadata to the pool; t must not be used
// after.
func (t *Transport) releaseReply() {
	if m := t.reply; m != nil {
		t.reply = nil
		if len(m) <= 8 { // one that grew large is left to the GC
			clear(m)
			replyPool.Put(m)
		}
	}
}

// incoming is the server's view of the caller's metadata.
type incoming struct{ t *Transport }

func (h incoming) Get(key string) string {
	if h.t.request != nil {
		return headerCarrier(h.t.request).Get(key)
	}
	if v := metadata.ValueFromIncomingContext(h.t.in, key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// GetKey implements transportx.KeyHeader.
func (h incoming) GetKey(k transportx.Key) string {
	if h.t.request != nil {
		return headerCarrier(h.t.request).GetKey(k)
	}
	if v := metadata.ValueFromIncomingContext(h.t.in, k.Lower()); len(v) > 0 {
		return v[0]
	}
	return ""
}

// SetKey implements transportx.KeyHeader.
func (h incoming) SetKey(k transportx.Key, vs []string) { h.md().SetKey(k, vs) }

func (h incoming) md() headerCarrier {
	if h.t.request == nil {
		h.t.request, _ = metadata.FromIncomingContext(h.t.in) // a copy with lower-case keys
		if h.t.request == nil {
			h.t.request = metadata.MD{}
		}
	}
	return headerCarrier(h.t.request)
}
func (h incoming) Set(key, value string)      { h.md().Set(key, value) }
func (h incoming) Add(key, value string)      { h.md().Add(key, value) }
func (h incoming) Values(key string) []string { return h.md().Values(key) }
func (h incoming) Keys() []string             { return h.md().Keys() }

// Range implements transportx.HeaderRanger (on a copy: grpc-go hands out
// incoming metadata only as one).
// Map implements transportx.HeaderMap (a copy, as Range).
func (h incoming) Map() map[string][]string { return h.md() }

func (h incoming) Range(f func(key string, values []string) bool) { h.md().Range(f) }

// Service returns the service part of a full method name.
func Service(fullMethod string) string {
	s := strings.TrimPrefix(fullMethod, "/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[:i]
	}
	return s
}

// Idempotent implements transportx.Idempotent: for a unary client call,
// whether its method may be repeated; streams never are.
func (t *Transport) Idempotent() bool { return t.idempotent }
