// Package metrics records every request in the shared gox series (see the core
// metrics package): a count by kind, operation and code, a latency histogram
// and an in-flight gauge. Latency runs from the request's arrival at the
// route to its handler's return, both as the transport recorded them, the
// figure the access log records too. The Recorder comes from
// contrib/prometheus or any other implementation.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/goxkit/gox/internal/transportx"
	gm "github.com/goxkit/gox/metrics"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// Server records requests handled by a server.
func Server(r gm.Recorder) middleware.Middleware { return record(r, transport.FromServerContext) }

// Client records outgoing calls.
func Client(r gm.Recorder) middleware.Middleware { return record(r, transport.FromClientContext) }

func record(r gm.Recorder, from func(context.Context) (transport.Transporter, bool)) middleware.Middleware {
	binder, _ := r.(gm.Binder)
	return func(next middleware.Handler) middleware.Handler {
		// A chain is built per route, so one operation is the rule: the
		// last one bound is checked before the map.
		var last atomic.Pointer[boundOp]
		var bound sync.Map // operation → *boundOp, when r is a Binder
		var names operations
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := from(ctx)
			if !ok {
				return next(ctx, req)
			}
			kind, op := string(tr.Kind()), tr.Operation()
			var b gm.Bound
			if binder != nil {
				be := last.Load()
				if be == nil || be.op != op {
					e, ok := bound.Load(op)
					if !ok && !names.admit(op) {
						op = OtherOperation
						e, ok = bound.Load(op)
					}
					if !ok {
						e, _ = bound.LoadOrStore(op, &boundOp{kind: kind, op: op, Bound: binder.Bind(kind, op)})
					}
					be = e.(*boundOp)
					last.Store(be)
				}
				if be.kind == kind {
					b = be.Bound
				}
			}
			start := transportx.StartTime(tr)
			// Recorded on the way out, so that a handler's panic, on its way
			// to the recovery middleware (which answers 500), leaves the
			// in-flight gauge and is counted as that 500.
			code := http.StatusInternalServerError
			if b != nil {
				b.InFlight(1)
				defer func() {
					b.InFlight(-1)
					b.Observe(CodeString(code), transportx.EndTime(tr).Sub(start).Seconds())
				}()
			} else {
				if !names.admit(op) {
					op = OtherOperation
				}
				r.InFlight(kind, 1)
				defer func() {
					r.InFlight(kind, -1)
					r.Observe(kind, op, CodeString(code), transportx.EndTime(tr).Sub(start).Seconds())
				}()
			}
			reply, err := next(ctx, req)
			code = transportx.Code(tr, err)
			return reply, err
		}
	}
}

// MaxOperations bounds the operations one chain records by name; the
// calls of any beyond it are recorded under OtherOperation. A server's
// operations are its routes and methods, a few; a client names a call by
// its method and path, and paths that carry ids (GET /v1/users/42) would
// otherwise make a series, and a map entry, per id.
const MaxOperations = 1000

// OtherOperation is the operation label of the calls beyond MaxOperations.
const OtherOperation = "(other)"

// operations is the set of operation names a chain records, bounded by
// MaxOperations.
type operations struct {
	seen sync.Map // name → struct{}
	n    atomic.Int64
}

// admit says whether op is recorded under its own name.
func (o *operations) admit(op string) bool {
	if _, ok := o.seen.Load(op); ok {
		return true
	}
	if o.n.Load() >= MaxOperations {
		return false
	}
	if _, loaded := o.seen.LoadOrStore(op, struct{}{}); !loaded {
		o.n.Add(1)
	}
	return true
}

// boundOp is an operation's Bound and the kind it was bound for (a handler
// serving two kinds under one operation name records the other unbound).
type boundOp struct {
	kind, op string
	gm.Bound
}

// codes holds the label of every HTTP status code, and so of every gox code,
// so that recording one costs an index, not a conversion.
var codes = func() (c [600]string) {
	for i := range c {
		c[i] = strconv.Itoa(i)
	}
	return c
}()

// CodeString formats a code label, without allocating for 0 to 599.
func CodeString(code int) string {
	if code >= 0 && code < len(codes) {
		return codes[code]
	}
	return strconv.Itoa(code)
}
