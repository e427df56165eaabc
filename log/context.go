package log

import (
	"context"
	"log/slog"
)

type attrsKey struct{}

// attrsCtx carries the attributes; one allocation holds the context node and,
// for the common single attribute (the request id), their storage.
type attrsCtx struct {
	context.Context
	attrs  []slog.Attr
	inline [1]slog.Attr
}

func (c *attrsCtx) Value(key any) any {
	if _, ok := key.(attrsKey); ok {
		return c
	}
	return c.Context.Value(key)
}

// WithAttrs returns ctx carrying attrs that every record logged with ctx gets
// (request id, user id ...). Attributes added later come after earlier ones.
func WithAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	c := &attrsCtx{}
	c.init(ctx, attrs)
	return c
}

func (c *attrsCtx) init(ctx context.Context, attrs []slog.Attr) {
	old := Attrs(ctx)
	c.Context = ctx
	if n := len(old) + len(attrs); n <= len(c.inline) {
		c.attrs = c.inline[:0:n]
	} else {
		c.attrs = make([]slog.Attr, 0, n)
	}
	c.attrs = append(append(c.attrs, old...), attrs...)
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
		return c.attrs
	}
	return nil
}
