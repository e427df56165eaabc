package sentry

import (
	"context"
	"log/slog"
	"math"
	"sync"

	"github.com/getsentry/sentry-go"

	"github.com/goxkit/gox/log"
)

const (
	// ringSize is how many log records a Breadcrumbs keeps: the most
	// Config.MaxBreadcrumbs may ask for (Sentry keeps 100).
	ringSize = 100
	// maxCrumbAttrs, maxCrumbValue and maxCrumbMessage bound one
	// breadcrumb, so that the breadcrumbs keep an event far below Sentry's
	// size limit whatever is logged.
	maxCrumbAttrs   = 32
	maxCrumbValue   = 256
	maxCrumbMessage = 1024
)

// Breadcrumbs keeps the last 100 log records of a service as Sentry
// breadcrumbs: its Handler wraps the service's log handler, and a Reporter
// given it (WithBreadcrumbs) sends the last Config.MaxBreadcrumbs of them,
// oldest first, with each event — message, level, time and attributes.
//
// It is made before the Reporter (the logger comes first in a service) and
// is safe for concurrent use. The records are the process's, not a
// request's: on a busy service the breadcrumbs of an event are the records
// logged just before it was sent, by any request; each carries the
// request_id it was logged with (gox's log.WithAttrs), so those of the
// failing request can be told apart.
//
// Only records the wrapped handler is enabled for are kept. Attributes go to
// Sentry as logged: log no secret, or wrap the handler that removes them
// first. A record's message is cut at 1024 characters, an attribute value at
// 256 and the attributes at 32.
type Breadcrumbs struct {
	ring ring
}

// NewBreadcrumbs returns an empty Breadcrumbs.
func NewBreadcrumbs() *Breadcrumbs { return &Breadcrumbs{} }

// Handler returns a handler that keeps every record as a breadcrumb and
// passes it to next.
//
//	crumbs := sentry.NewBreadcrumbs()
//	logger := slog.New(crumbs.Handler(base.Handler()))
func (b *Breadcrumbs) Handler(next slog.Handler) slog.Handler {
	return &breadcrumbHandler{ring: &b.ring, next: next}
}

// last returns the last n breadcrumbs, oldest first.
func (b *Breadcrumbs) last(n int) []*sentry.Breadcrumb { return b.ring.last(n) }

type breadcrumbHandler struct {
	ring   *ring
	next   slog.Handler
	attrs  map[string]any // from WithAttrs, keys with their groups
	groups string         // "a.b." from WithGroup
}

func (h *breadcrumbHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *breadcrumbHandler) Handle(ctx context.Context, r slog.Record) error {
	b := &sentry.Breadcrumb{
		Type: "default", Category: "log", Level: crumbLevel(r.Level),
		Message: truncate(r.Message, maxCrumbMessage), Timestamp: r.Time,
	}
	fromCtx := log.Attrs(ctx) // request_id and the like, outside any group
	if n := len(fromCtx) + len(h.attrs) + r.NumAttrs(); n > 0 {
		b.Data = make(map[string]any, min(n, maxCrumbAttrs))
		for _, a := range fromCtx {
			addAttr(b.Data, "", a)
		}
		for k, v := range h.attrs {
			if len(b.Data) < maxCrumbAttrs {
				b.Data[k] = v
			}
		}
		r.Attrs(func(a slog.Attr) bool {
			addAttr(b.Data, h.groups, a)
			return len(b.Data) < maxCrumbAttrs
		})
	}
	h.ring.add(b)
	return h.next.Handle(ctx, r)
}

func (h *breadcrumbHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := &breadcrumbHandler{ring: h.ring, next: h.next.WithAttrs(attrs), groups: h.groups, attrs: make(map[string]any, len(h.attrs)+len(attrs))}
	for k, v := range h.attrs {
		c.attrs[k] = v
	}
	for _, a := range attrs {
		addAttr(c.attrs, h.groups, a)
	}
	return c
}

func (h *breadcrumbHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &breadcrumbHandler{ring: h.ring, next: h.next.WithGroup(name), attrs: h.attrs, groups: h.groups + name + "."}
}

// addAttr puts a in data under prefix+key, a group's attributes each under
// its own key, with values JSON can always encode (an event that does not
// encode is not sent).
func addAttr(data map[string]any, prefix string, a slog.Attr) {
	if len(data) >= maxCrumbAttrs {
		return
	}
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, g := range v.Group() {
			addAttr(data, prefix, g)
		}
		return
	}
	if a.Key == "" {
		return
	}
	var x any
	switch v.Kind() {
	case slog.KindBool:
		x = v.Bool()
	case slog.KindInt64:
		x = v.Int64()
	case slog.KindUint64:
		x = v.Uint64()
	case slog.KindFloat64:
		if f := v.Float64(); !math.IsNaN(f) && !math.IsInf(f, 0) {
			x = f
		} else {
			x = v.String()
		}
	default:
		x = truncate(v.String(), maxCrumbValue)
	}
	data[prefix+a.Key] = x
}

func crumbLevel(l slog.Level) sentry.Level {
	switch {
	case l >= slog.LevelError:
		return sentry.LevelError
	case l >= slog.LevelWarn:
		return sentry.LevelWarning
	case l >= slog.LevelInfo:
		return sentry.LevelInfo
	}
	return sentry.LevelDebug
}

// ring is a bounded list of the last breadcrumbs.
type ring struct {
	mu   sync.Mutex
	buf  [ringSize]*sentry.Breadcrumb
	next int // where the next one goes
	n    int // how many are held
}

func (r *ring) add(b *sentry.Breadcrumb) {
	r.mu.Lock()
	r.buf[r.next] = b
	r.next = (r.next + 1) % ringSize
	r.n = min(r.n+1, ringSize)
	r.mu.Unlock()
}

// last returns the last n breadcrumbs, oldest first (as Sentry shows
// them). A breadcrumb is never changed once added, so they are shared.
func (r *ring) last(n int) []*sentry.Breadcrumb {
	r.mu.Lock()
	defer r.mu.Unlock()
	n = min(n, r.n)
	if n <= 0 {
		return nil
	}
	out := make([]*sentry.Breadcrumb, n)
	for i := range n {
		out[i] = r.buf[(r.next-n+i+ringSize)%ringSize]
	}
	return out
}
