package errors

import (
	"strconv"
	"time"
)

// MetadataRetryAfter is the metadata key of how long a client should wait
// before trying again, as a Go duration ("1s", "250ms"): set on the 429 and
// 503 answers of gox's governance. HTTP sends it as the Retry-After header
// too (whole seconds, at least 1), gRPC as a RetryInfo detail, and the gox
// clients put either back under this key.
const MetadataRetryAfter = "retry_after"

// WithRetryAfter returns a copy of e that tells the client to wait d before
// trying again; d is rounded up to a millisecond, and is at least one.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	d = max(d, time.Millisecond).Round(time.Millisecond)
	return e.WithMetadata(map[string]string{MetadataRetryAfter: d.String()})
}

// RetryAfter is how long err asks its client to wait before trying again,
// and whether it asks at all: a positive duration under MetadataRetryAfter
// (a Go duration, or whole seconds as HTTP's Retry-After gives them).
func RetryAfter(err error) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	v, ok := FromError(err).Metadata[MetadataRetryAfter]
	if !ok {
		return 0, false
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d, true
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s > 0 && s < 1<<31 {
		return time.Duration(s) * time.Second, true
	}
	return 0, false
}
