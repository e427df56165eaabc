package errors

import "net/http"

// StatusClientClosed is the code of a request the client gave up on (nginx's 499).
const StatusClientClosed = 499

// Reasons of the built-in constructors. Services define their own reasons for
// domain errors ("USER_NOT_FOUND"); these are used when nothing finer is known.
const (
	ReasonBadRequest      = "BAD_REQUEST"
	ReasonUnauthorized    = "UNAUTHORIZED"
	ReasonForbidden       = "FORBIDDEN"
	ReasonNotFound        = "NOT_FOUND"
	ReasonMethodNotAllow  = "METHOD_NOT_ALLOWED"
	ReasonConflict        = "CONFLICT"
	ReasonTooLarge        = "PAYLOAD_TOO_LARGE"
	ReasonTooManyRequests = "TOO_MANY_REQUESTS"
	ReasonCanceled        = "CANCELED"
	ReasonInternal        = "INTERNAL"
	ReasonNotImplemented  = "NOT_IMPLEMENTED"
	ReasonUnavailable     = "UNAVAILABLE"
	ReasonTimeout         = "TIMEOUT"
	ReasonPanic           = "PANIC" // a handler panicked (the recovery middleware)
)

// BadRequest is a 400: the request is malformed or fails validation.
func BadRequest(reason, message string) *Error {
	return &Error{Code: http.StatusBadRequest, Reason: orDefault(reason, ReasonBadRequest), Message: message, stack: callers(3)}
}

// Unauthorized is a 401: the caller is not authenticated.
func Unauthorized(reason, message string) *Error {
	return &Error{Code: http.StatusUnauthorized, Reason: orDefault(reason, ReasonUnauthorized), Message: message, stack: callers(3)}
}

// Forbidden is a 403: the caller is authenticated but not allowed.
func Forbidden(reason, message string) *Error {
	return &Error{Code: http.StatusForbidden, Reason: orDefault(reason, ReasonForbidden), Message: message, stack: callers(3)}
}

// NotFound is a 404.
func NotFound(reason, message string) *Error {
	return &Error{Code: http.StatusNotFound, Reason: orDefault(reason, ReasonNotFound), Message: message, stack: callers(3)}
}

// Conflict is a 409: the request conflicts with the current state.
func Conflict(reason, message string) *Error {
	return &Error{Code: http.StatusConflict, Reason: orDefault(reason, ReasonConflict), Message: message, stack: callers(3)}
}

// TooManyRequests is a 429: a limit was hit; retry later.
func TooManyRequests(reason, message string) *Error {
	return &Error{Code: http.StatusTooManyRequests, Reason: orDefault(reason, ReasonTooManyRequests), Message: message, stack: callers(3)}
}

// Internal is a 500.
func Internal(reason, message string) *Error {
	return &Error{Code: http.StatusInternalServerError, Reason: orDefault(reason, ReasonInternal), Message: message, stack: callers(3)}
}

// Unavailable is a 503: the service cannot serve now; retry elsewhere or later.
func Unavailable(reason, message string) *Error {
	return &Error{Code: http.StatusServiceUnavailable, Reason: orDefault(reason, ReasonUnavailable), Message: message, stack: callers(3)}
}

// Timeout is a 504: a deadline passed before the work finished.
func Timeout(reason, message string) *Error {
	return &Error{Code: http.StatusGatewayTimeout, Reason: orDefault(reason, ReasonTimeout), Message: message, stack: callers(3)}
}

// IsBadRequest and the functions below report whether err carries that code.
func IsBadRequest(err error) bool { return Code(err) == http.StatusBadRequest }

// IsUnauthorized reports whether err is a 401.
func IsUnauthorized(err error) bool { return Code(err) == http.StatusUnauthorized }

// IsForbidden reports whether err is a 403.
func IsForbidden(err error) bool { return Code(err) == http.StatusForbidden }

// IsNotFound reports whether err is a 404.
func IsNotFound(err error) bool { return Code(err) == http.StatusNotFound }

// IsConflict reports whether err is a 409.
func IsConflict(err error) bool { return Code(err) == http.StatusConflict }

// IsTooManyRequests reports whether err is a 429.
func IsTooManyRequests(err error) bool { return Code(err) == http.StatusTooManyRequests }

// IsInternal reports whether err is a 500.
func IsInternal(err error) bool { return Code(err) == http.StatusInternalServerError }

// IsUnavailable reports whether err is a 503.
func IsUnavailable(err error) bool { return Code(err) == http.StatusServiceUnavailable }

// IsTimeout reports whether err is a 504.
func IsTimeout(err error) bool { return Code(err) == http.StatusGatewayTimeout }

func orDefault(reason, def string) string {
	if reason == "" {
		return def
	}
	return reason
}
