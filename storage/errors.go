package storage

import (
	"net/http"

	"github.com/goxkit/gox/errors"
)

// Reasons of the storage errors.
const (
	ReasonNotExist        = "OBJECT_NOT_FOUND"
	ReasonInvalidKey      = "INVALID_KEY"
	ReasonInvalidMetadata = "INVALID_METADATA"
	ReasonTooLarge        = "OBJECT_TOO_LARGE"
	ReasonInvalidRange    = "RANGE_NOT_SATISFIABLE"
	ReasonInvalidToken    = "INVALID_PAGE_TOKEN"
)

// The errors a Store returns. Backends return copies carrying a message that
// names the key (errors.Is matches them by code and reason), so test with
// errors.Is, never ==. A handler may return them as they are: each renders
// with its HTTP status.
var (
	// ErrNotExist: no object has the key (404).
	ErrNotExist = errors.NotFound(ReasonNotExist, "storage: object does not exist")
	// ErrInvalidKey: the key breaks ValidateKey's rules; the message names
	// the key and the rule (400).
	ErrInvalidKey = errors.BadRequest(ReasonInvalidKey, "storage: invalid key")
	// ErrInvalidMetadata: PutOptions.Metadata breaks ValidateMetadata's
	// rules; the message names the entry (400).
	ErrInvalidMetadata = errors.BadRequest(ReasonInvalidMetadata, "storage: invalid metadata")
	// ErrTooLarge: the content is longer than PutOptions.MaxSize (413).
	ErrTooLarge = errors.New(http.StatusRequestEntityTooLarge, ReasonTooLarge, "storage: object too large")
	// ErrInvalidRange: GetOptions asks for bytes past the end (416).
	ErrInvalidRange = errors.New(http.StatusRequestedRangeNotSatisfiable, ReasonInvalidRange, "storage: range not satisfiable")
	// ErrInvalidToken: Page.Token is not one a List of this Store returned (400).
	ErrInvalidToken = errors.BadRequest(ReasonInvalidToken, "storage: invalid page token")
)

// NotExist returns ErrNotExist naming key.
func NotExist(key string) error {
	return ErrNotExist.WithMessage("storage: object %q does not exist", key).
		WithMetadata(map[string]string{"key": key})
}

// TooLarge returns ErrTooLarge naming key and the limit.
func TooLarge(key string, limit int64) error {
	return ErrTooLarge.WithMessage("storage: object %q is larger than %d bytes", key, limit).
		WithMetadata(map[string]string{"key": key})
}
