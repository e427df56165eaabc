// Package middleware is the one middleware shape shared by every transport:
// HTTP routes, gRPC methods of all four kinds, queue consumers and event
// listeners run the same Chain. Raw HTTP concerns (CORS, gzip, body limits) are
// gin filters in transport/http, not middleware.
//
// The built-in middlewares live in sub-packages (recovery, requestid, logging,
// timeout, metadata, metrics, tracing).
package middleware

import "context"

// Handler handles one request. For HTTP, req is the *http.Request and the
// handler writes its own response; for gRPC, req is the request message and
// the reply is the response message.
type Handler func(ctx context.Context, req any) (any, error)

// Middleware wraps a Handler.
type Middleware func(Handler) Handler

// Chain composes middlewares so that the first one given is the outermost:
// Chain(a, b)(h) runs a, then b, then h.
func Chain(m ...Middleware) Middleware {
	return func(next Handler) Handler {
		for i := len(m) - 1; i >= 0; i-- {
			next = m[i](next)
		}
		return next
	}
}
