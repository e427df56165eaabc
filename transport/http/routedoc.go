package http

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gin-gonic/gin"
)

// Route is a route registered on a Server or one of its groups, as a
// documentation tool (the openapi package) reads it. /ping is one; the
// probes (/healthz, /readyz), /metrics, pprof and what is mounted with Mount
// or on Engine are not.
type Route struct {
	// Method is the HTTP method; Path the full path in gin's syntax
	// ("/users/:id", "/files/*path").
	Method, Path string
	// Operation is the name the middleware sees: "GET /users/:id", or the
	// one HandleOperation was given, the gRPC full method
	// ("/pkg.Service/Method") for the routes gctl generates from
	// google.api.http rules. Named reports which.
	Operation string
	// Request and Response are the Req and Resp of a handler made by JSON
	// (struct types, not pointers); nil for any other handler.
	Request, Response reflect.Type
	// Summary and Description are what Doc gave the handler, if anything.
	Summary, Description string
}

// Named reports whether r was registered under an operation name of its
// own (HandleOperation) rather than "METHOD /path" (an empty Operation is
// taken as the latter). The openapi package leaves the description of such
// a route to the document merged for it: the one gctl generates for the
// proto HTTP bindings.
func (r Route) Named() bool { return r.Operation != "" && r.Operation != r.Method+" "+r.Path }

// handlerDoc is what is known of a handler beyond its code.
type handlerDoc struct {
	req, resp            reflect.Type
	summary, description string
}

// handlerDocs holds, by handler, what JSON and Doc know of the handlers
// they return. A handler is told by its closure (each call of JSON or Doc
// makes one), so JSON and Doc are meant to be called once per route, at
// registration, not per request: an entry stays for the process's life,
// and past maxHandlerDocs of them (a JSON call per request, say) no more
// are kept — those routes are documented by method and path only, and
// memory stays bounded.
var handlerDocs sync.Map // unsafe.Pointer (the closure) → *handlerDoc

// handlerDocCount counts handlerDocs' entries, up to maxHandlerDocs.
var handlerDocCount atomic.Int64

// maxHandlerDocs bounds handlerDocs: far more routes than a service has.
const maxHandlerDocs = 1 << 14

// handlerKey is h's closure: what its func value points to. Every closure
// JSON and Doc return captures a variable, so each is an allocation of its
// own; the map keeps it alive, so its address is never reused.
func handlerKey(h HandlerFunc) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&h)) }

func describe(h HandlerFunc, d *handlerDoc) {
	if handlerDocCount.Add(1) > maxHandlerDocs {
		handlerDocCount.Add(-1)
		return
	}
	handlerDocs.Store(handlerKey(h), d)
}

func docOf(h HandlerFunc) *handlerDoc {
	if h == nil {
		return nil
	}
	if d, ok := handlerDocs.Load(handlerKey(h)); ok {
		return d.(*handlerDoc)
	}
	return nil
}

// Doc returns h with a summary and a description for the service's API
// document (the openapi package), which cannot read Go doc comments at run
// time. It changes nothing else: the route runs h.
//
//	s.POST("/users", http.Doc("Create a user", "The name must be unique.", http.JSON(svc.CreateUser)))
func Doc(summary, description string, h HandlerFunc) HandlerFunc {
	w := HandlerFunc(func(c *Context) error { return h(c) })
	d := handlerDoc{summary: summary, description: description}
	if inner := docOf(h); inner != nil {
		d.req, d.resp = inner.req, inner.resp
	}
	describe(w, &d)
	return w
}

// routeTable is the routes of a server in the order they were registered.
type routeTable struct {
	mu     sync.Mutex
	routes []Route
}

func (t *routeTable) add(method, path, op string, h HandlerFunc) {
	r := Route{Method: method, Path: path, Operation: op}
	if d := docOf(h); d != nil {
		r.Request, r.Response, r.Summary, r.Description = d.req, d.resp, d.summary, d.description
	}
	t.mu.Lock()
	t.routes = append(t.routes, r)
	t.mu.Unlock()
}

// Routes returns the routes registered on s and its groups so far, in the
// order they were registered.
func (s *Server) Routes() []Route {
	s.routeTable.mu.Lock()
	defer s.routeTable.mu.Unlock()
	return slices.Clone(s.routeTable.routes)
}

// ErrorFormat is the error body the server writes, from Config.ErrorFormat:
// "envelope" or "problem". A server given WithErrorEncoder still reports
// the format of its configuration.
func (s *Server) ErrorFormat() string {
	if s.cfg.ErrorFormat == "" {
		return "envelope"
	}
	return s.cfg.ErrorFormat
}

// Mount serves h for GET and HEAD at path and, when path ends in "/",
// under it (h sees the whole path), outside the middleware chain and
// Routes, as the built-in probes are: for pages a service shows about
// itself (its API document, its docs page). A path ending in "/" also
// answers at path without the slash, with a redirect to it.
func (s *Server) Mount(path string, h http.Handler) {
	gh := gin.WrapH(h)
	if !strings.HasSuffix(path, "/") {
		s.engine.GET(path, gh)
		s.engine.HEAD(path, gh)
		return
	}
	s.engine.GET(path+"*any", gh)
	s.engine.HEAD(path+"*any", gh)
}
