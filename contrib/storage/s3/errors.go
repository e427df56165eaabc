package s3

import (
	"context"
	stderrors "errors"
	"fmt"
	"net/http"

	"github.com/minio/minio-go/v7"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/storage"
)

// Reasons of the errors this package adds to storage's.
const (
	ReasonAccessDenied = "S3_ACCESS_DENIED"
	ReasonNoBucket     = "S3_NO_SUCH_BUCKET"
	ReasonUnavailable  = "S3_UNAVAILABLE"
	ReasonS3           = "S3_ERROR"
)

// Errors of the S3 backend beyond storage's typed errors. They are failures
// of the service's own set-up or of its storage server, not of the request
// that led to them, so they are 500s and 503s: a handler returning one does
// not tell its client to fix its credentials. Test with errors.Is.
var (
	// ErrAccessDenied: the server refused the credentials or the access key
	// may not do this (InvalidAccessKeyId, SignatureDoesNotMatch,
	// AccessDenied, expired tokens). The message names the endpoint, the
	// access key and S3's code; never the secret.
	ErrAccessDenied = errors.Internal(ReasonAccessDenied, "storage/s3: access denied")
	// ErrNoBucket: the configured bucket does not exist.
	ErrNoBucket = errors.Internal(ReasonNoBucket, "storage/s3: no such bucket")
	// ErrUnavailable: the server could not be reached, or answered 503/Slow
	// Down after minio-go's retries.
	ErrUnavailable = errors.Unavailable(ReasonUnavailable, "storage/s3: server unavailable")
	// ErrS3 is any other error answer of the server; the message has its code.
	ErrS3 = errors.Internal(ReasonS3, "storage/s3: server error")
)

var authCodes = map[string]string{
	"InvalidAccessKeyId":    "the access key is unknown to the server",
	"SignatureDoesNotMatch": "the signature does not match: the secret key is wrong",
	"AccessDenied":          "the access key may not do this",
	"InvalidToken":          "the session token is invalid",
	"ExpiredToken":          "the session token has expired",
	"TokenRefreshRequired":  "the session token must be refreshed",
}

// mapErr turns an error of minio-go (or of ctx) during op on key into a gox
// coded error: storage's typed errors where one applies.
func (s *Store) mapErr(ctx context.Context, op, key string, err error) error {
	if err == nil {
		return nil
	}
	what := op // "get \"k\"", or "open bucket"
	if key != "" {
		what = fmt.Sprintf("%s %q", op, key)
	}
	if stderrors.Is(err, storage.ErrTooLarge) {
		return err // limitReader's, as it is
	}
	if ce := ctx.Err(); ce != nil || stderrors.Is(err, context.Canceled) || stderrors.Is(err, context.DeadlineExceeded) {
		if ce == nil {
			ce = err
		}
		if !stderrors.Is(err, ce) {
			err = stderrors.Join(ce, err) // errors.Is(err, context.Canceled) holds
		}
		if stderrors.Is(ce, context.DeadlineExceeded) {
			return errors.Timeout("", "").WithMessage("storage/s3: %s: deadline exceeded", what).WithCause(err)
		}
		return errors.New(errors.StatusClientClosed, errors.ReasonCanceled, "").
			WithMessage("storage/s3: %s: canceled", what).WithCause(err)
	}
	er := minio.ToErrorResponse(err)
	switch {
	case er.Code == "NoSuchKey" || (er.StatusCode == http.StatusNotFound && er.Code == "NotFound"):
		return storage.NotExist(key)
	case er.Code == "NoSuchBucket":
		return ErrNoBucket.WithMessage("storage/s3: %s: bucket %q does not exist on %s", what, s.bucket, s.endpoint).WithCause(err)
	case er.Code == "InvalidRange":
		return storage.ErrInvalidRange.WithMessage("storage/s3: %s: range not satisfiable", what).WithCause(err)
	case er.Code == "EntityTooLarge":
		return storage.ErrTooLarge.WithMessage("storage/s3: %s: the server refused the size: %s", what, er.Message).WithCause(err)
	case authCodes[er.Code] != "":
		return ErrAccessDenied.WithMessage("storage/s3: %s: %s refused access key %q: %s (%s)",
			what, s.endpoint, s.accessKey, authCodes[er.Code], er.Code).WithCause(err)
	case er.StatusCode == http.StatusForbidden:
		return ErrAccessDenied.WithMessage("storage/s3: %s: %s refused access key %q (HTTP 403 %s)",
			what, s.endpoint, s.accessKey, er.Code).WithCause(err)
	case er.StatusCode == http.StatusServiceUnavailable || er.Code == "SlowDown" || er.Code == "ServiceUnavailable":
		return ErrUnavailable.WithMessage("storage/s3: %s: %s is overloaded or unavailable (%s)", what, s.endpoint, er.Code).WithCause(err)
	case er.StatusCode == 0 && er.Code == "":
		// not an S3 answer: the connection failed (refused, reset, timeout)
		return ErrUnavailable.WithMessage("storage/s3: %s: %s: %v", what, s.endpoint, err).WithCause(err)
	}
	return ErrS3.WithMessage("storage/s3: %s: %s answered HTTP %d %s: %s", what, s.endpoint, er.StatusCode, er.Code, er.Message).WithCause(err)
}
