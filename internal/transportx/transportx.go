// Package transportx holds what gox's transports and middleware share beyond
// the contracts of package transport: the optional interfaces a transport
// implements so that middleware on every request skips work (a prepared
// header name, a header map read in place, the instants a request started
// and ended), the helpers that use them with a fallback for any Header or
// Transporter, and the per-request context node the transports embed. None
// of it is a contract a user implements; it may change with gox's transports.
package transportx

import (
	"net/textproto"
	"strings"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/internal/ctxnode"
	"github.com/goxkit/gox/transport"
)

// HeaderTimeout carries an HTTP caller's remaining time to the callee
// (middleware/timeout reads it; the HTTP client sets it).
const HeaderTimeout = "X-Gox-Timeout"

// ServerContext is the context node transport.NewServerContext makes. A
// transport embeds it in its per-request state, so that state and node are
// one allocation, and transport.FromServerContext finds it as its own:
//
//	st := &requestState{...}
//	st.ServerContext = transportx.ServerContext{Context: parent, Transporter: &st.tr}
//	next(&st.ServerContext, req)
type ServerContext = ctxnode.Server[transport.Transporter]

// RemoteAddr is implemented by server Transporters that know the caller's
// address (host:port, as the connection has it): HTTP and gRPC.
type RemoteAddr interface {
	RemoteAddr() string
}

// Streaming is implemented by server Transporters whose calls may be
// streams (gRPC): Streaming says whether this one is.
type Streaming interface {
	Streaming() bool
}

// HeaderRanger is implemented by Headers that can be walked without copying
// their keys; Range calls f for each key until f returns false.
type HeaderRanger interface {
	Range(f func(key string, values []string) bool)
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
func RangeHeader(h transport.Header, f func(key string, values []string) bool) {
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

// HeaderMap is implemented by Headers backed by a map of values (HTTP
// headers, gRPC metadata). Map returns that map for reading in place: a range
// over it costs no closure, which a middleware on every request cares about.
// The map must not be kept or changed.
type HeaderMap interface {
	Map() map[string][]string
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
func SetValues(h transport.Header, key string, vs []string) {
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
//	var requestID = transportx.NewKey("X-Request-Id")
//	id := transportx.GetKey(tr.RequestHeader(), requestID)
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
func GetKey(h transport.Header, k Key) string {
	if kh, ok := h.(KeyHeader); ok {
		return kh.GetKey(k)
	}
	return h.Get(k.canonical)
}

// SetKey sets k to vs on h as SetValues does; vs must not be empty.
func SetKey(h transport.Header, k Key, vs []string) {
	if kh, ok := h.(KeyHeader); ok {
		kh.SetKey(k, vs)
		return
	}
	SetValues(h, k.canonical, vs)
}

// Started is implemented by Transporters that record when their request
// arrived, so that middlewares timing it need not read the clock again.
type Started interface {
	Start() time.Time
}

// StartTime returns when tr's request arrived, or now when tr does not say.
func StartTime(tr transport.Transporter) time.Time {
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
func EndTime(tr transport.Transporter) time.Time {
	if e, ok := tr.(Ended); ok {
		if t := e.End(); !t.IsZero() {
			return t
		}
	}
	return time.Now()
}

// StatusCoder is implemented by Transporters that know the status they
// answered with (HTTP: what the handler wrote, 201 say).
type StatusCoder interface {
	StatusCode() int
}

// Code is the code to record for a finished call: the error's code when it
// failed, else the status the transport wrote, else 200.
func Code(tr transport.Transporter, err error) int {
	if err != nil {
		return errors.Code(err)
	}
	if sc, ok := tr.(StatusCoder); ok {
		if c := sc.StatusCode(); c > 0 {
			return c
		}
	}
	return 200
}

// Idempotent is implemented by client Transporters that know whether their
// call may safely be repeated: HTTP by method (RFC 9110 §9.2.2), gRPC by the
// method's idempotency_level option or the client's own list. The retry
// middleware retries only calls that say so.
type Idempotent interface {
	Idempotent() bool
}
