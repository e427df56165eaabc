package report

import (
	"context"
	"fmt"
	"net/http"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/transport"
)

// requester is implemented by the HTTP transport's Transporter.
type requester interface{ Request() *http.Request }

// Middleware reports the failures of the calls it runs around to s: an
// error whose code is at least the dispatcher's MinCode (500 by default), a
// response of 5xx an HTTP handler wrote itself, and a panic. Put it after
// the request id and tracing middlewares, whose ids it reads from the
// context, and before (outside) the recovery middleware, so that the error
// a panic becomes (its cause a *recovery.PanicError) reaches it with the
// panic site's stack:
//
//	requestid.Server(), tracing.Server(), report.Middleware(d), recovery.Recovery(logger), ...
//
// With no recovery further in, it reports the panic and panics again,
// changing nothing.
//
// It reads the transport's kind and operation from the context; for HTTP
// the report carries the method, path, query and headers (secrets redacted
// by the Dispatcher). It reports nothing for queue and event calls: a
// broker consumer reports its dead letters and panics itself
// (broker.ConsumerOptions.Reporter) and an event channel its listeners'
// failures (event.WithReporter), so that a retried message is not reported
// at every attempt. A nil s reports nothing.
//
// It also puts s in the call's context (NewContext), so that goroutines the
// handler starts with conc.Go report their panics and errors to it without
// being handed it.
func Middleware(s Submitter) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		if off(s) {
			return next
		}
		return func(ctx context.Context, req any) (reply any, err error) {
			ctx = NewContext(ctx, s)
			ok := false
			defer func() {
				if ok {
					return
				}
				if v := recover(); v != nil {
					p := recovery.NewPanicError(v)
					submitCall(ctx, s, req, errors.Internal(errors.ReasonPanic, "the handler panicked").WithCause(p), 0)
					panic(v)
				}
			}()
			reply, err = next(ctx, req)
			ok = true
			if err != nil {
				submitCall(ctx, s, req, err, 0)
			} else if code := writtenCode(ctx); code >= 500 {
				submitCall(ctx, s, req, nil, code)
			}
			return reply, err
		}
	}
}

// writtenCode is the status an HTTP handler wrote, 0 elsewhere.
func writtenCode(ctx context.Context) int {
	tr, ok := transport.FromServerContext(ctx)
	if !ok || tr.Kind() != transport.KindHTTP {
		return 0
	}
	if sc, ok := tr.(transportx.StatusCoder); ok {
		return sc.StatusCode()
	}
	return 0
}

// submitCall reports one failed call: err, or a status the handler wrote.
func submitCall(ctx context.Context, s Submitter, req any, err error, written int) {
	r := &Report{Err: err}
	if err == nil {
		r.Code = written
		r.Err = errors.New(written, "", fmt.Sprintf("the handler answered %d %s", written, http.StatusText(written)))
	}
	tr, ok := transport.FromServerContext(ctx)
	if ok {
		switch tr.Kind() {
		case transport.KindQueue, transport.Kind(KindEvent):
			return
		}
		r.Kind, r.Operation = Kind(tr.Kind()), tr.Operation()
	}
	classify(r)
	// Before the request is copied: a flood of 4xx, or of 5xx while the
	// reporters are down and the queue is full, costs nothing more.
	if d, ok := s.(*Dispatcher); ok {
		if d.expected(r) {
			d.ignored.Add(1)
			return
		}
		if len(d.q) == cap(d.q) {
			d.drop(1)
			return
		}
	}
	if r.Kind == KindHTTP {
		r.HTTP = httpOf(tr, req)
	}
	s.Submit(ctx, r)
}

// httpOf copies what a report keeps of an HTTP request: the copy is the
// report's, read after the request has ended.
func httpOf(tr transport.Transporter, req any) *HTTP {
	hr, _ := req.(*http.Request)
	if hr == nil {
		if rq, ok := tr.(requester); ok {
			hr = rq.Request()
		}
	}
	if hr == nil || hr.URL == nil {
		return nil
	}
	return &HTTP{Method: hr.Method, Path: hr.URL.Path, Query: hr.URL.RawQuery, Header: hr.Header.Clone()}
}

// off reports whether s reports nothing: nil, or a nil *Dispatcher.
func off(s Submitter) bool {
	if s == nil {
		return true
	}
	d, ok := s.(*Dispatcher)
	return ok && d == nil
}
