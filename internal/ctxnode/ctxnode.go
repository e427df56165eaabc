// Package ctxnode holds the context node that carries a request's server
// Transporter. Package transport finds it (FromServerContext) and the
// transports embed it in their per-request state, so that state and node are
// one allocation. It is generic over the Transporter type only because
// package transport, which defines that type, imports it.
package ctxnode

import "context"

// Key is the context key a Server node answers.
type Key struct{}

// Server is a context node carrying the server side Transporter of a request.
type Server[T any] struct {
	context.Context
	Transporter T
}

// Value answers Key with c itself, so that a lookup asserts a concrete type
// rather than an interface, and defers every other key to the parent.
func (c *Server[T]) Value(key any) any {
	if _, ok := key.(Key); ok {
		return c
	}
	return c.Context.Value(key)
}
