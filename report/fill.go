package report

import (
	"context"
	stderrors "errors"

	"go.opentelemetry.io/otel/trace"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/middleware/requestid"
)

// classify sets r's code from its error when it has none, and Panic when
// the error is a recovered panic. It runs on the caller's path, so it reads
// no stack.
func classify(r *Report) {
	if r.Err == nil {
		return
	}
	if r.Code == 0 {
		r.Code = errors.Code(r.Err)
	}
	if !r.Panic {
		_, r.Panic = stderrors.AsType[*recovery.PanicError](r.Err)
	}
}

// fromContext reads the request id, trace id and span id of ctx into r,
// where r has none.
func fromContext(ctx context.Context, r *Report) {
	if ctx == nil {
		return
	}
	if r.RequestID == "" {
		r.RequestID = requestid.FromContext(ctx)
	}
	if r.TraceID == "" {
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			r.TraceID, r.SpanID = sc.TraceID().String(), sc.SpanID().String()
		}
	}
}

// fill completes r on the dispatcher's goroutine: the service, the reason,
// message and stack from its error, its request's secrets redacted.
func (d *Dispatcher) fill(r *Report) {
	if r.Service == "" {
		r.Service = d.o.service
	}
	if r.Version == "" {
		r.Version = d.o.version
	}
	if r.Environment == "" {
		r.Environment = d.o.env
	}
	fillFromError(r)
	if r.HTTP != nil {
		d.redact.redactHeader(r.HTTP.Header)
		r.HTTP.Query = d.redact.redactQuery(r.HTTP.Query)
	}
}

// fillFromError reads the reason, message and stack of r.Err where r has
// none. A panic's stack is the panic site's and its message the panic's
// value; a gox error's stack is where it was made; an error from elsewhere
// has no stack.
func fillFromError(r *Report) {
	if r.Err == nil {
		return
	}
	e := errors.FromError(r.Err)
	if r.Reason == "" {
		r.Reason = e.Reason
	}
	p, isPanic := stderrors.AsType[*recovery.PanicError](r.Err)
	if r.Message == "" {
		switch {
		case isPanic:
			r.Message = p.Error()
		default:
			r.Message = e.Message
		}
	}
	if r.Stack == "" {
		switch {
		case isPanic:
			r.Stack = p.Stack
		default:
			r.Stack = deepestStack(r.Err)
		}
	}
}

// deepestStack returns the stack of the innermost gox error in err's chain:
// the closest to where the failure began.
func deepestStack(err error) string {
	stack := ""
	for e := err; e != nil; e = stderrors.Unwrap(e) {
		if ge, ok := e.(*errors.Error); ok {
			if s := ge.Stack(); s != "" {
				stack = s
			}
		}
	}
	return stack
}
