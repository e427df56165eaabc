package log

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
)

type attrsKey struct{}

// attrsCtx carries the attributes; one allocation holds the context node and,
// for the common single attribute (the request id), their storage. The
// attributes inherited from the parent are looked up when first read, not
// when the node is made: a request's access record is written by the batch
// writer, so a request whose handler logs nothing itself never walks its
// context for them.
type attrsCtx struct {
	context.Context
	own    []slog.Attr
	inline [1]slog.Attr
	all    atomic.Pointer[[]slog.Attr] // the parent's attributes and own, once read
}

func (c *attrsCtx) Value(key any) any {
	if _, ok := key.(attrsKey); ok {
		return c
	}
	return c.Context.Value(key)
}

// WithAttrs returns ctx carrying attrs that every record logged with ctx gets
// (request id, user id ...). Attributes added later come after earlier ones.
// Like any context value, an attribute must not change once stored: the
// access log's batch writer reads it after the request, and a LogValuer's
// LogValue runs there.
func WithAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	c := &attrsCtx{}
	c.init(ctx, attrs)
	return c
}

func (c *attrsCtx) init(ctx context.Context, attrs []slog.Attr) {
	c.Context = ctx
	if len(attrs) <= len(c.inline) {
		c.own = c.inline[:len(attrs):len(attrs)]
		copy(c.own, attrs)
	} else {
		c.own = slices.Clone(attrs)
	}
}

// attrs returns the parent's attributes followed by c's own. The first call
// finds the parent's and keeps the result; calls racing with it compute the
// same slice.
func (c *attrsCtx) attrs() []slog.Attr {
	if p := c.all.Load(); p != nil {
		return *p
	}
	p := &c.own // immutable after init
	if up := Attrs(c.Context); len(up) > 0 {
		all := make([]slog.Attr, 0, len(up)+len(c.own))
		all = append(append(all, up...), c.own...)
		p = &all
	}
	c.all.Store(p)
	return *p
}

// Node is the context node WithAttrs makes, for a package that allocates it
// together with its own per-request data (the request id middleware keeps the
// id and its header value in the same allocation). Embed it in a struct,
// Init it once, and use the struct's address as the context; a zero Node is
// not a usable context.
type Node struct{ attrsCtx }

// Init makes n carry ctx's attributes followed by attrs, with ctx as its
// parent.
func (n *Node) Init(ctx context.Context, attrs ...slog.Attr) { n.init(ctx, attrs) }

// Attrs returns the attributes stored in ctx by WithAttrs.
func Attrs(ctx context.Context) []slog.Attr {
	if c, ok := ctx.Value(attrsKey{}).(*attrsCtx); ok {
		return c.attrs()
	}
	return nil
}
