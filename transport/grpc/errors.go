package grpc

import (
	stderrors "errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/goxkit/gox/errors"
)

// Domain is the ErrorInfo domain of errors sent by gox.
const Domain = "goxkit.dev"

// ToStatus converts err to a gRPC status carrying an ErrorInfo detail with the
// reason and metadata. A status error made directly with grpc's status package
// passes through unchanged. production hides foreign error text.
func ToStatus(err error, production bool) *status.Status {
	if se, ok := stderrors.AsType[*statusError](err); ok {
		if e, _ := stderrors.AsType[*errors.Error](err); e == se.e {
			return se.st // the handler's own status, as it made it
		}
	}
	if st, ok := status.FromError(err); ok {
		if _, isGox := stderrors.AsType[*errors.Error](err); !isGox {
			return st
		}
	}
	e := errors.FromError(err).Public(production)
	st := status.New(ToGRPCCode(e.Code), e.Message)
	if e.Reason == "" && len(e.Metadata) == 0 {
		return st
	}
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: e.Reason, Domain: Domain, Metadata: e.Metadata}}
	if d, ok := errors.RetryAfter(e); ok {
		// what grpc-go's retry and other languages' clients read
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(d)})
	}
	if br, ok := stderrors.AsType[badRequest](err); ok && e.Code == http.StatusBadRequest {
		// each bad field, in the detail every gRPC client library knows
		details = append(details, br.BadRequest())
	}
	withInfo, derr := st.WithDetails(details...)
	if derr != nil {
		return st
	}
	return withInfo
}

// badRequest is implemented by an error that names each bad field of a
// request (middleware/validate's Violations, the cause of its 400): ToStatus
// sends it as a google.rpc.BadRequest detail.
type badRequest interface {
	error
	BadRequest() *errdetails.BadRequest
}

// FromStatus converts a gRPC error back to an *errors.Error: the code maps back
// to its HTTP-style code and the ErrorInfo detail restores reason and metadata,
// so errors.Is matches the server's sentinel. nil stays nil; a non-status error
// (a dial failure, say) becomes Unavailable wrapping it.
func FromStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := stderrors.AsType[*errors.Error](err); ok {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return errors.Unavailable("", err.Error()).WithCause(err)
	}
	return fromStatus(st)
}

// statusError is a plain gRPC status a handler returned (status.Error, a
// call through a client other than gox's, a stream's Recv after the client
// canceled), as the middleware chain sees it: an *errors.Error whose code is
// the status's mapped back (NotFound → 404, Canceled → 499), so that the
// access log, metrics, tracing and reporters record what the client decodes,
// while ToStatus still sends the status itself, details and all.
type statusError struct {
	e    *errors.Error
	st   *status.Status
	err  error // what the handler returned
	sent bool  // grpc-go has already answered the client with st
}

func (s *statusError) Error() string              { return s.err.Error() }
func (s *statusError) GRPCStatus() *status.Status { return s.st }

// Unwrap returns the mapped *errors.Error first, so errors.As finds it, and
// the handler's error.
func (s *statusError) Unwrap() []error { return []error{s.e, s.err} }

// fromHandler returns err as the chain records it: a plain gRPC status
// becomes a statusError; anything else (a gox error, a context error, a
// foreign error) is returned as is.
func fromHandler(err error) error {
	if _, ok := stderrors.AsType[*errors.Error](err); ok {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	return &statusError{e: fromStatus(st), st: st, err: err}
}

// sentStatus is the outcome of a stream whose SendMsg or RecvMsg failed
// with err: grpc-go has answered the client with err's status already (and
// ended the call's context).
func sentStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		st = status.FromContextError(err) // Unknown for anything but a context error
	}
	return &statusError{e: fromStatus(st), st: st, err: err, sent: true}
}

// alreadySent reports whether err is a sentStatus.
func alreadySent(err error) bool {
	se, ok := err.(*statusError)
	return ok && se.sent
}

// clientGone is the outcome of a call whose context ended (gone: the client
// canceled, its deadline passed, or its connection closed) before the
// handler returned: the client gets Canceled or DeadlineExceeded, not what
// the handler returned, and so that is recorded (499, 504). The handler's
// error, if any, stays in the chain for errors.Is and the log line.
func clientGone(gone, handlerErr error) error {
	st := status.FromContextError(gone)
	se := &statusError{e: fromStatus(st), st: st, err: st.Err()}
	if handlerErr != nil {
		se.err = fmt.Errorf("%w; the handler returned: %w", se.err, handlerErr)
	}
	return se
}

// fromStatus decodes st: its code mapped back, its ErrorInfo's reason and
// metadata; with no ErrorInfo, a BadRequest's fields.
func fromStatus(st *status.Status) *errors.Error {
	e := &errors.Error{Code: FromGRPCCode(st.Code()), Message: st.Message()}
	var delay time.Duration
	var br *errdetails.BadRequest
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			e.Reason, e.Metadata = d.Reason, d.Metadata
		case *errdetails.RetryInfo:
			delay = d.GetRetryDelay().AsDuration()
		case *errdetails.BadRequest:
			br = d
		}
	}
	if br != nil && e.Reason == "" && e.Metadata == nil {
		// a BadRequest without gox's ErrorInfo (a server in another
		// language): the fields as gox's own validation error names them
		e.Reason, e.Metadata = reasonInvalidField, map[string]string{metadataField: badRequestFields(br)}
	}
	if _, has := e.Metadata[errors.MetadataRetryAfter]; !has && delay > 0 {
		if e.Metadata == nil {
			e.Metadata = map[string]string{}
		}
		e.Metadata[errors.MetadataRetryAfter] = delay.String()
	}
	return e
}

var toGRPC = map[int]codes.Code{
	http.StatusOK:                    codes.OK,
	http.StatusBadRequest:            codes.InvalidArgument,
	http.StatusUnauthorized:          codes.Unauthenticated,
	http.StatusForbidden:             codes.PermissionDenied,
	http.StatusNotFound:              codes.NotFound,
	http.StatusConflict:              codes.Aborted,
	http.StatusPreconditionFailed:    codes.FailedPrecondition,
	http.StatusRequestEntityTooLarge: codes.ResourceExhausted,
	http.StatusTooManyRequests:       codes.ResourceExhausted,
	errors.StatusClientClosed:        codes.Canceled,
	http.StatusInternalServerError:   codes.Internal,
	http.StatusNotImplemented:        codes.Unimplemented,
	http.StatusServiceUnavailable:    codes.Unavailable,
	http.StatusGatewayTimeout:        codes.DeadlineExceeded,
}

var fromGRPC = map[codes.Code]int{
	codes.OK:                 http.StatusOK,
	codes.Canceled:           errors.StatusClientClosed,
	codes.Unknown:            http.StatusInternalServerError,
	codes.InvalidArgument:    http.StatusBadRequest,
	codes.DeadlineExceeded:   http.StatusGatewayTimeout,
	codes.NotFound:           http.StatusNotFound,
	codes.AlreadyExists:      http.StatusConflict,
	codes.PermissionDenied:   http.StatusForbidden,
	codes.ResourceExhausted:  http.StatusTooManyRequests,
	codes.FailedPrecondition: http.StatusPreconditionFailed,
	codes.Aborted:            http.StatusConflict,
	codes.OutOfRange:         http.StatusBadRequest,
	codes.Unimplemented:      http.StatusNotImplemented,
	codes.Internal:           http.StatusInternalServerError,
	codes.Unavailable:        http.StatusServiceUnavailable,
	codes.DataLoss:           http.StatusInternalServerError,
	codes.Unauthenticated:    http.StatusUnauthorized,
}

// ToGRPCCode maps an HTTP-style code to a gRPC code: 4xx it does not know
// become InvalidArgument (FailedPrecondition for 412), 5xx become Internal.
func ToGRPCCode(code int) codes.Code {
	if c, ok := toGRPC[code]; ok {
		return c
	}
	if code >= 400 && code < 500 {
		return codes.InvalidArgument
	}
	return codes.Internal
}

// FromGRPCCode maps a gRPC code to its HTTP-style code.
func FromGRPCCode(c codes.Code) int {
	if code, ok := fromGRPC[c]; ok {
		return code
	}
	return http.StatusInternalServerError
}

// The reason and metadata key of gox's validation error
// (middleware/validate, transport/http's decoding).
const (
	reasonInvalidField = "INVALID_FIELD"
	metadataField      = "field"
)

// badRequestFields is the "field" metadata of br's violations: the fields
// ","-separated, "%" and "," inside a name escaped as %25 and %2C.
func badRequestFields(br *errdetails.BadRequest) string {
	var b strings.Builder
	for i, v := range br.GetFieldViolations() {
		if i > 0 {
			b.WriteByte(',')
		}
		_, _ = fieldEscaper.WriteString(&b, v.GetField())
	}
	return b.String()
}

var fieldEscaper = strings.NewReplacer("%", "%25", ",", "%2C")
