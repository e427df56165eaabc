package http

import (
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/transport"
)

// headerCarrier adapts http.Header to transport.Header.
type headerCarrier http.Header

// Get and Set skip canonicalization for keys already in canonical form:
// callers mostly pass such keys, and canonicalizing costs more than the lookup.
func (h headerCarrier) Get(key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	if canonical(key) {
		return ""
	}
	return http.Header(h).Get(key)
}
func (h headerCarrier) Set(key, value string) {
	if canonical(key) {
		h[key] = []string{value}
		return
	}
	http.Header(h).Set(key, value)
}

// canonical reports whether textproto.CanonicalMIMEHeaderKey(key) == key for
// sure: upper case first and after each '-', lower case elsewhere.
func canonical(key string) bool {
	upper := true
	for i := 0; i < len(key); i++ {
		c := key[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return false
		}
		upper = c == '-'
	}
	return key != ""
}

// SetValues implements transportx.HeaderValuesSetter.
func (h headerCarrier) SetValues(key string, vs []string) {
	if !canonical(key) {
		key = http.CanonicalHeaderKey(key)
	}
	h[key] = vs
}

// GetKey implements transportx.KeyHeader: HTTP keys are canonical.
func (h headerCarrier) GetKey(k transportx.Key) string {
	if v := h[k.Canonical()]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// SetKey implements transportx.KeyHeader.
func (h headerCarrier) SetKey(k transportx.Key, vs []string) { h[k.Canonical()] = vs }

func (h headerCarrier) Add(key, value string)      { http.Header(h).Add(key, value) }
func (h headerCarrier) Values(key string) []string { return http.Header(h).Values(key) }
func (h headerCarrier) Keys() []string             { return slices.Collect(maps.Keys(h)) }

// Map implements transportx.HeaderMap.
func (h headerCarrier) Map() map[string][]string { return h }

// Range implements transportx.HeaderRanger.
func (h headerCarrier) Range(f func(key string, values []string) bool) { transportx.RangeValues(h, f) }

// Transport is the server side transport.Transporter of an HTTP request. It
// carries the request's Context, so the route adapter finds it again after the
// middleware chain.
type Transport struct {
	ctx        Context
	srv        *Server
	operation  string
	start, end time.Time
	req        http.Request // the request carrying the chain's context, when it differs
}

var (
	_ transport.Transporter  = (*Transport)(nil)
	_ transportx.StatusCoder = (*Transport)(nil)
	_ transportx.Started     = (*Transport)(nil)
	_ transportx.Ended       = (*Transport)(nil)
)

// Start is when the request reached the route.
func (t *Transport) Start() time.Time { return t.start }

// End is when the route's handler returned; zero before.
func (t *Transport) End() time.Time { return t.end }

// Kind implements transport.Transporter.
func (t *Transport) Kind() transport.Kind { return transport.KindHTTP }

// Endpoint implements transport.Transporter.
func (t *Transport) Endpoint() string { return t.srv.bind.Host() }

// Operation is "METHOD /route/:template".
func (t *Transport) Operation() string { return t.operation }

// RequestHeader implements transport.Transporter.
func (t *Transport) RequestHeader() transport.Header { return headerCarrier(t.ctx.Request.Header) }

// ReplyHeader implements transport.Transporter.
func (t *Transport) ReplyHeader() transport.Header { return headerCarrier(t.ctx.Writer.Header()) }

// StatusCode is the status the handler wrote (200 when it wrote nothing yet).
func (t *Transport) StatusCode() int { return t.ctx.Writer.Status() }

// Request returns the HTTP request as it arrived. Its Context() is the
// request's own: use the context the middleware or handler was given for
// what the chain added (request id, deadline, trace).
func (t *Transport) Request() *http.Request { return t.ctx.Request }

// RemoteAddr is the caller's address, host:port, as the connection has it
// (a proxy's, behind one).
func (t *Transport) RemoteAddr() string { return t.ctx.Request.RemoteAddr }

// GinContext returns the gin context of the request.
func (t *Transport) GinContext() *gin.Context { return t.ctx.Context }
