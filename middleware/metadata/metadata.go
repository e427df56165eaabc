// Package metadata moves request metadata between transport headers and the
// context. A server copies headers that start with the prefix (x-md- by default)
// into metadata.FromServerContext; a client sends what metadata.FromClientContext
// holds plus what it received, so values propagate along a chain of services.
package metadata

import (
	"context"
	"strings"

	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/metadata"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// DefaultPrefix marks headers that are propagated.
const DefaultPrefix = "x-md-"

// Server extracts metadata from request headers that start with prefix
// (DefaultPrefix when empty).
func Server(prefix string) middleware.Middleware {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromServerContext(ctx)
			if !ok {
				return next(ctx, req)
			}
			var md metadata.MD
			if m, ok := tr.RequestHeader().(transportx.HeaderMap); ok {
				for k, v := range m.Map() { // in place: no closure, no allocation per request
					md = collect(md, prefix, k, v)
				}
			} else {
				md = collectAll(tr.RequestHeader(), prefix)
			}
			if md != nil {
				ctx = metadata.NewServerContext(ctx, md)
			}
			return next(ctx, req)
		}
	}
}

// collect adds k to md when it carries the prefix.
func collect(md metadata.MD, prefix, k string, v []string) metadata.MD {
	if len(k) >= len(prefix) && strings.EqualFold(k[:len(prefix)], prefix) && len(v) > 0 {
		if md == nil {
			md = metadata.MD{}
		}
		md[strings.ToLower(k)] = v[0]
	}
	return md
}

// collectAll is collect over a header that is not a map.
func collectAll(h transport.Header, prefix string) (md metadata.MD) {
	transportx.RangeHeader(h, func(k string, v []string) bool { md = collect(md, prefix, k, v); return true })
	return md
}

// Client sends received and client metadata as headers. Keys that lack the
// prefix are sent with it.
func Client(prefix string) middleware.Middleware {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromClientContext(ctx)
			if !ok {
				return next(ctx, req)
			}
			h := tr.RequestHeader()
			set := func(md metadata.MD) {
				for k, v := range md {
					if !strings.HasPrefix(k, prefix) {
						k = prefix + k
					}
					h.Set(k, v)
				}
			}
			if md, ok := metadata.FromServerContext(ctx); ok {
				set(md)
			}
			if md, ok := metadata.FromClientContext(ctx); ok {
				set(md)
			}
			return next(ctx, req)
		}
	}
}
