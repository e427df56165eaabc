package log

import (
	"context"
	"log/slog"
)

type attrsKey struct{}

// WithAttrs returns ctx carrying attrs that every record logged with ctx gets
// (request id, user id ...). Attributes added later come after earlier ones.
func WithAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	old, _ := ctx.Value(attrsKey{}).([]slog.Attr)
	all := make([]slog.Attr, 0, len(old)+len(attrs))
	all = append(append(all, old...), attrs...)
	return context.WithValue(ctx, attrsKey{}, all)
}

// Attrs returns the attributes stored in ctx by WithAttrs.
func Attrs(ctx context.Context) []slog.Attr {
	a, _ := ctx.Value(attrsKey{}).([]slog.Attr)
	return a
}
