// Package validate is gox's request validation, one middleware for every
// transport: a request that breaks its rules is refused before the handler
// runs, with one coded error whatever the transport.
//
// A request is checked by what it is:
//   - a proto message, against its buf.validate (protovalidate) rules, by the
//     ProtoValidator given with WithProto. gox's core does not link
//     protovalidate (it brings cel-go, about 9 MB of binary):
//     contrib/validate/protovalidate provides one. Without it, proto messages
//     pass unchecked.
//   - any other struct (or pointer to one), against its `binding` tags with
//     go-playground/validator, the rules and the tag gin and gox's HTTP JSON
//     routes use. Fields are named as the client sent them: by their json
//     tag ("address.city", "items[2].name"), else their form or uri tag,
//     else their Go name; the same names transport/http reports.
//   - anything else (raw bytes, a string) passes.
//
// A violation is errors.BadRequest with reason INVALID_FIELD, a message
// listing each field and the rule it fails (`field "name" fails
// "string.min_len": value length must be at least 3 characters`) and the
// metadata "field": the field paths, ","-separated, with "%" and "," inside
// a name written as %25 and %2C. Its cause is the Violations, which
// transport/grpc also sends as a google.rpc.BadRequest detail (one
// FieldViolation per field), so clients in any language read each field.
//
// On HTTP the middleware runs before the handler has decoded the body: it
// puts its Validator in the context instead, and the code that decodes the
// request (a JSON route, a generated proto binding) calls Check after
// decoding. On gRPC and queue consumers the chain sees the decoded request
// and the middleware checks it itself. On a gRPC stream the chain runs
// before any message has arrived: the middleware has transport/grpc check
// each message the server receives (every message of a client-streaming or
// bidirectional call, the one request of a server-streaming call) as it is
// received, and the first bad one ends the call with the same error as a
// bad unary request (InvalidArgument with its BadRequest detail), the
// handler getting it from Recv. What the server sends is not checked.
//
// Proto field paths are proto field names ("display_name",
// "items[2].name", `labels["k"]`), as google.rpc.BadRequest prescribes for
// proto requests and as protovalidate reports them; protojson accepts these
// names in an HTTP body too.
//
// The package does not decode requests, and does not render errors: the
// transports do.
package validate

import (
	"context"
	"net/http"
	"reflect"

	"github.com/go-playground/validator/v10"
	"google.golang.org/protobuf/proto"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// ProtoValidator checks proto messages against their rules.
// contrib/validate/protovalidate implements it with buf.build/go/protovalidate.
// It must be safe for concurrent use.
type ProtoValidator interface {
	// ValidateProto returns msg's violations, nil when it is valid; with
	// failFast, at most the first one. An error means the rules could not be
	// evaluated (a rule that does not compile): a fault of the service, not
	// of the request.
	ValidateProto(msg proto.Message, failFast bool) ([]Violation, error)
}

// Validator checks requests. It is safe for concurrent use; make one per
// service and share it.
type Validator struct {
	structs  *validator.Validate
	protos   ProtoValidator
	failFast bool
	skip     middleware.Matcher
}

// Option configures a Validator.
type Option func(*Validator)

// WithProto checks proto messages with p.
func WithProto(p ProtoValidator) Option { return func(v *Validator) { v.protos = p } }

// WithStructValidator checks structs with sv instead of a validator of gox's
// own (validator.New with tag "binding"). Pass gin's engine
// (binding.Validator.Engine()) to use the custom rules registered on it.
func WithStructValidator(sv *validator.Validate) Option {
	return func(v *Validator) { v.structs = sv }
}

// WithFailFast reports only the first violation of a request. protovalidate
// then stops at it; go-playground/validator has no such mode, so a struct
// is checked whole and the rest dropped.
func WithFailFast() Option { return func(v *Validator) { v.failFast = true } }

// WithSkip leaves the operations m matches unchecked ("/pkg.Svc/Method",
// "POST /users"; see middleware.Exact, Prefix, Regex).
func WithSkip(m middleware.Matcher) Option { return func(v *Validator) { v.skip = m } }

// New returns a Validator.
func New(opts ...Option) *Validator {
	v := &Validator{}
	for _, o := range opts {
		o(v)
	}
	if v.structs == nil {
		v.structs = validator.New()
		v.structs.SetTagName("binding")
	}
	return v
}

// Server returns the validation middleware: New(opts...).Middleware().
func Server(opts ...Option) middleware.Middleware { return New(opts...).Middleware() }

// Middleware checks each request before the next handler runs and answers
// a bad one with Validate's error. Operations WithSkip matches go straight
// on. So do HTTP requests, whose body is not decoded yet: an HTTP request
// carries the Validator in its context for Check. A gRPC stream has no
// request yet either: each message the server receives on it is checked as
// it arrives (transport/grpc's Transport.CheckRecv), and the first bad one
// ends the call with Validate's error.
func (v *Validator) Middleware() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			if v.skip != nil {
				if tr, ok := transport.FromServerContext(ctx); ok && v.skip(tr.Operation()) {
					return next(ctx, req)
				}
			}
			switch req.(type) {
			case *http.Request:
				return next(NewContext(ctx, v), req)
			case nil:
				if tr, ok := transport.FromServerContext(ctx); ok {
					if rc, ok := tr.(recvChecker); ok {
						rc.CheckRecv(v.Validate) // a stream's messages
					}
				}
				return next(ctx, req)
			}
			if err := v.Validate(req); err != nil {
				return nil, err
			}
			return next(ctx, req)
		}
	}
}

// recvChecker is implemented by the Transporter of a call whose messages
// arrive after the middleware chain ran (transport/grpc's, for streams):
// CheckRecv has check look at each message as it is received.
type recvChecker interface {
	CheckRecv(check func(msg any) error)
}

// Validate checks req: nil when it is valid or has no rules, else a 400
// INVALID_FIELD *errors.Error whose cause is the Violations. A proto rule
// that cannot be evaluated is a 500 wrapping the ProtoValidator's error.
func (v *Validator) Validate(req any) error {
	var vs Violations
	switch r := req.(type) {
	case nil:
		return nil
	case proto.Message:
		if v.protos == nil || !r.ProtoReflect().IsValid() {
			return nil // no rules, or a typed nil: nothing to check
		}
		var err error
		if vs, err = v.protos.ValidateProto(r, v.failFast); err != nil {
			return errors.Internal("", "validation rules cannot be evaluated").WithCause(err)
		}
	default:
		if !isStruct(req) {
			return nil
		}
		vs = v.checkStruct(req)
	}
	if len(vs) == 0 {
		return nil
	}
	if v.failFast {
		vs = vs[:1]
	}
	return vs.Err()
}

// isStruct reports whether req is a struct or a non-nil pointer to one.
func isStruct(req any) bool {
	rv := reflect.ValueOf(req)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return false
		}
		rv = rv.Elem()
	}
	return rv.Kind() == reflect.Struct
}

type ctxKey struct{}

// NewContext returns ctx carrying v, for Check.
func NewContext(ctx context.Context, v *Validator) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the Validator the middleware put in ctx.
func FromContext(ctx context.Context) (*Validator, bool) {
	v, ok := ctx.Value(ctxKey{}).(*Validator)
	return v, ok
}

// Check validates req with the Validator in ctx, and is nil when there is
// none (the middleware is not on this operation's chain). Code that decodes
// a request after the middleware chain ran (HTTP routes) calls it.
func Check(ctx context.Context, req any) error {
	v, ok := FromContext(ctx)
	if !ok {
		return nil
	}
	return v.Validate(req)
}
