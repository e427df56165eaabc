// Package errors is gox's one error type: a code (HTTP status semantics), a
// machine-readable reason, a client-facing message, metadata, a cause and the
// stack where it was made.
//
// Every transport renders the same *Error: HTTP as gox's JSON envelope
// {"code","reason","message","data"} or RFC 9457 problem+json, gRPC as a
// status with details, and each client turns the wire form back into an
// *Error, so errors.Is(err, ErrUserNotFound) holds on both sides of a call.
// This package imports no transport; the encoders live in transport/http and
// transport/grpc.
package errors

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// UnknownReason is the reason of an error that was not made by this package.
const UnknownReason = ""

// Error is a coded error. The zero value is not useful; use New or a
// constructor such as NotFound.
type Error struct {
	// Code follows HTTP status semantics (404, 503, ...) on every transport.
	Code int
	// Reason is a stable, machine-readable identifier such as "USER_NOT_FOUND".
	// Two errors with the same Code and Reason are the same error for errors.Is.
	Reason string
	// Message is meant for the client and may be shown to a person.
	Message string
	// Metadata carries extra key/value detail; it crosses the wire.
	Metadata map[string]string

	cause    error
	stack    stack
	internal bool // Message is the text of a foreign error: not for clients in production
}

// New returns an error with the given code, reason and message and records the
// caller's stack.
func New(code int, reason, message string) *Error {
	return &Error{Code: code, Reason: reason, Message: message, stack: callers(3)}
}

// Newf is New with a formatted message.
func Newf(code int, reason, format string, a ...any) *Error {
	return &Error{Code: code, Reason: reason, Message: fmt.Sprintf(format, a...), stack: callers(3)}
}

// Error implements error. The cause is included: this text is for logs, not clients.
func (e *Error) Error() string {
	// built by hand, not with fmt: an access log writes it for every failed
	// call, and an overloaded server refuses thousands a second
	var b strings.Builder
	b.Grow(48 + len(e.Reason) + len(e.Message))
	b.WriteString("error: code = ")
	b.WriteString(strconv.Itoa(e.Code))
	b.WriteString(" reason = ")
	b.WriteString(e.Reason)
	b.WriteString(" message = ")
	b.WriteString(e.Message)
	if len(e.Metadata) > 0 {
		b.WriteString(" metadata = map[") // as %v prints a map: keys sorted
		for i, k := range slices.Sorted(maps.Keys(e.Metadata)) {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(k)
			b.WriteByte(':')
			b.WriteString(e.Metadata[k])
		}
		b.WriteByte(']')
	}
	if e.cause != nil {
		b.WriteString(" cause = ")
		b.WriteString(e.cause.Error())
	}
	return b.String()
}

// Unwrap returns the cause, so errors.Is and errors.As see through an *Error.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error with the same Code and Reason. It is
// what makes a sentinel such as ErrUserNotFound match the error a client
// decoded from the wire.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Code == e.Code && t.Reason == e.Reason
}

// Stack returns the stack recorded when the error was made, one frame a line.
// It is empty for errors decoded from the wire.
func (e *Error) Stack() string { return e.stack.String() }

// WithCause returns a copy of e wrapping cause. The stack of the copy is the
// caller's, since that is where the failure was observed.
func (e *Error) WithCause(cause error) *Error {
	c := e.clone()
	c.cause = cause
	c.stack = callers(3)
	return c
}

// WithMetadata returns a copy of e with md merged into its metadata.
func (e *Error) WithMetadata(md map[string]string) *Error {
	c := e.clone()
	if c.Metadata == nil {
		c.Metadata = make(map[string]string, len(md))
	}
	maps.Copy(c.Metadata, md)
	return c
}

// WithMessage returns a copy of e with another message; Is still matches e.
func (e *Error) WithMessage(format string, a ...any) *Error {
	c := e.clone()
	c.Message = fmt.Sprintf(format, a...)
	c.stack = callers(3)
	return c
}

func (e *Error) clone() *Error {
	c := *e
	c.Metadata = maps.Clone(e.Metadata)
	return &c
}

// FromError converts any error to an *Error. An *Error anywhere in the chain is
// returned as is; context deadline and cancellation map to Timeout and
// ClientClosed; anything else becomes an Internal error wrapping err, whose
// message a production encoder does not show.
func FromError(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: http.StatusGatewayTimeout, Reason: ReasonTimeout, Message: "deadline exceeded", cause: err}
	case errors.Is(err, context.Canceled):
		return &Error{Code: StatusClientClosed, Reason: ReasonCanceled, Message: "request canceled", cause: err}
	}
	return &Error{Code: http.StatusInternalServerError, Reason: UnknownReason, Message: err.Error(), cause: err, internal: true}
}

// Code returns the code of err: 200 for nil, the *Error's code, or 500.
func Code(err error) int {
	if err == nil {
		return http.StatusOK
	}
	return FromError(err).Code
}

// Reason returns the reason of err, or UnknownReason.
func Reason(err error) string {
	if err == nil {
		return UnknownReason
	}
	return FromError(err).Reason
}

// Public returns the form of e that may be sent to a client: no cause and no
// stack. In production the message of an error that did not come from this
// package (a database driver's text, say) is replaced by the status text.
func (e *Error) Public(production bool) *Error {
	c := &Error{Code: e.Code, Reason: e.Reason, Message: e.Message, Metadata: e.Metadata}
	if production && e.internal {
		c.Message = http.StatusText(e.Code)
	}
	return c
}
