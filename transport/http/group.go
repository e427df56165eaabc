package http

import (
	"context"
	"net/http"
	"path"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/internal/clock"
	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// RouteGroup is a set of routes under a path prefix with its own middleware, run
// after the server's.
type RouteGroup struct {
	s   *Server
	rg  *gin.RouterGroup
	mws []middleware.Middleware
}

// Group returns a sub-group under prefix; m runs after this group's middleware.
func (g *RouteGroup) Group(prefix string, m ...middleware.Middleware) *RouteGroup {
	mws := append(append([]middleware.Middleware(nil), g.mws...), m...)
	return &RouteGroup{s: g.s, rg: g.rg.Group(prefix), mws: mws}
}

// Handle registers h for method and relative path.
func (g *RouteGroup) Handle(method, relativePath string, h HandlerFunc) {
	full := joinPath(g.rg.BasePath(), relativePath)
	op := method + " " + full
	g.rg.Handle(method, relativePath, g.s.adapt(op, g.chain(), h))
	g.s.routeTable.add(method, full, op, h)
}

// HandleOperation registers h for method and relative path under the
// operation name op, which middleware selectors and governance rules match,
// instead of "METHOD /path": the routes gctl generates from google.api.http
// rules name the gRPC method ("/pkg.Service/Method"), so that one rule
// covers a method on both transports. Routes lists the route with
// Operation op.
func (g *RouteGroup) HandleOperation(method, relativePath, op string, h HandlerFunc) {
	g.rg.Handle(method, relativePath, g.s.adapt(op, g.chain(), h))
	g.s.routeTable.add(method, joinPath(g.rg.BasePath(), relativePath), op, h)
}

func (g *RouteGroup) chain() middleware.Middleware { return middleware.Chain(g.mws...) }

// GET registers a GET route.
func (g *RouteGroup) GET(p string, h HandlerFunc) { g.Handle(http.MethodGet, p, h) }

// POST registers a POST route.
func (g *RouteGroup) POST(p string, h HandlerFunc) { g.Handle(http.MethodPost, p, h) }

// PUT registers a PUT route.
func (g *RouteGroup) PUT(p string, h HandlerFunc) { g.Handle(http.MethodPut, p, h) }

// PATCH registers a PATCH route.
func (g *RouteGroup) PATCH(p string, h HandlerFunc) { g.Handle(http.MethodPatch, p, h) }

// DELETE registers a DELETE route.
func (g *RouteGroup) DELETE(p string, h HandlerFunc) { g.Handle(http.MethodDelete, p, h) }

// adapt turns h into a gin handler that runs the chain, built once per route.
// A handler reads the chain's context from c.Request.Context(), so the request
// is copied to carry it (what kratos does too), into the request's own state,
// so that carrying the context costs no allocation.
func (s *Server) adapt(op string, chain middleware.Middleware, h HandlerFunc) gin.HandlerFunc {
	final := chain(func(ctx context.Context, _ any) (any, error) {
		tr, _ := transport.FromServerContext(ctx)
		t := tr.(*Transport)
		if ctx != t.ctx.Request.Context() {
			copyWithContext(&t.req, t.ctx.Request, ctx)
			t.ctx.Request = &t.req
		}
		err := h(&t.ctx)
		// start plus the monotonic time since: one clock read, where
		// time.Now takes two (wall and monotonic).
		t.end = t.start.Add(time.Since(t.start))
		return nil, err
	})
	return func(gc *gin.Context) {
		// One allocation holds the transport and the context node carrying it.
		st := &serverState{t: Transport{ctx: Context{Context: gc}, srv: s, operation: op, start: clock.Now()}}
		st.ServerContext = transportx.ServerContext{Context: gc.Request.Context(), Transporter: &st.t}
		// The Date header: the second the request arrived, from a string
		// made once a second, so that net/http does not read the clock and
		// format the date for every response. A handler may replace it, or
		// set it to nil to send none.
		st.date[0] = s.date.format(st.t.start)
		gc.Writer.Header()["Date"] = st.date[:]
		reply, err := final(&st.ServerContext, gc.Request)
		switch {
		case err != nil:
			s.renderError(gc, err)
		case reply != nil && !gc.Writer.Written():
			// a middleware answered for the handler (a governance
			// fallback, a cache): its reply is the response
			gc.JSON(http.StatusOK, reply)
		}
	}
}

// copyWithContext sets *dst to a copy of r carrying ctx, without the
// allocation r.WithContext makes: inlined here, its copy does not escape. It
// is not inlined itself, because inlined into a closure WithContext may not
// be, and then its copy is on the heap.
//
//go:noinline
func copyWithContext(dst, r *http.Request, ctx context.Context) {
	*dst = *r.WithContext(ctx)
}

type serverState struct {
	transportx.ServerContext
	t    Transport
	date [1]string // the Date header's value slice, the response's own
}

// dateStamp is the Date header of one second.
type dateStamp struct {
	sec   int64
	value string
}

// dateCache keeps a server's last Date header.
type dateCache struct{ last atomic.Pointer[dateStamp] }

// format returns t as a Date header value (http.TimeFormat, second
// resolution), formatting it only when t is in another second than the last
// call's.
func (c *dateCache) format(t time.Time) string {
	sec := t.Unix()
	if d := c.last.Load(); d != nil && d.sec == sec {
		return d.value
	}
	d := &dateStamp{sec: sec, value: t.UTC().Format(http.TimeFormat)}
	c.last.Store(d)
	return d.value
}

// renderError writes err unless the handler already wrote a response.
func (s *Server) renderError(gc *gin.Context, err error) {
	_ = gc.Error(err) // visible to gin filters that run after the route
	if gc.Writer.Written() {
		return
	}
	if d, ok := errors.RetryAfter(err); ok {
		// whole seconds, rounded up: RFC 9110 has no finer unit, and 0
		// would invite an immediate retry
		gc.Writer.Header().Set("Retry-After", strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
	}
	s.encoder(gc.Writer, gc.Request, err, s.production)
	gc.Abort()
}

func joinPath(base, rel string) string {
	if rel == "" {
		return base
	}
	p := path.Join(base, rel)
	if rel[len(rel)-1] == '/' && p[len(p)-1] != '/' {
		p += "/"
	}
	return p
}
