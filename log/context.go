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
	old := Attrs(ctx)
	c := &attrsCtx{Context: ctx}
	if n := len(old) + len(attrs); n <= len(c.inline) {
		c.attrs = c.inline[:0:n]
	} else {
		c.attrs = make([]slog.Attr, 0, n)
	}
	c.attrs = append(append(c.attrs, old...), attrs...)
	return c
}

// Attrs returns the attributes stored in ctx by WithAttrs.
func Attrs(ctx context.Context) []slog.Attr {
	if c, ok := ctx.Value(attrsKey{}).(*attrsCtx); ok {
		return c.attrs
	}
	return nil
}
