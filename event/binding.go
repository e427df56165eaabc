package event

import (
	"context"
	stderrors "errors"
	"fmt"
	"net/http"

	"github.com/goxkit/gox/errors"
)

// What a transport binding (eventhttp, eventgrpc, or one of your own) needs
// beyond the formats: the coded errors it answers with and the dispatch of a
// batch.

// Reasons of the errors the bindings answer with.
const (
	ReasonInvalid     = "INVALID_CLOUDEVENT"
	ReasonUnknownType = "UNKNOWN_EVENT_TYPE"
)

// Coded returns err, from reading an event (ReadHTTP, ReadHTTPBatch, a
// Protobuf decoder) or from Dispatch, as the coded error (gox's errors) a
// binding answers with: a *ValidationError is a 400 with ReasonInvalid and
// the attribute in its metadata, a body over the limit (*http.MaxBytesError,
// *TooLargeError) a 413, ErrUnknownType a 404 with ReasonUnknownType. Any
// other error (a listener's, coded already by Dispatch) is returned as it is.
func Coded(err error) error {
	if _, ok := err.(*errors.Error); ok {
		return err
	}
	var verr *ValidationError
	var maxErr *http.MaxBytesError
	var tooLarge *TooLargeError
	switch {
	case stderrors.As(err, &verr):
		return errors.BadRequest(ReasonInvalid, verr.Error()).WithMetadata(map[string]string{"attribute": verr.Attribute}).WithCause(err)
	case stderrors.As(err, &maxErr):
		return errors.New(http.StatusRequestEntityTooLarge, errors.ReasonTooLarge,
			fmt.Sprintf("event is larger than %d bytes", maxErr.Limit)).WithCause(err)
	case stderrors.As(err, &tooLarge):
		return errors.New(http.StatusRequestEntityTooLarge, errors.ReasonTooLarge, tooLarge.Error()).WithCause(err)
	case stderrors.Is(err, ErrUnknownType):
		return errors.NotFound(ReasonUnknownType, err.Error()).WithCause(err)
	}
	return err
}

// DispatchBatch dispatches events in order, every one even when some fail.
// The error, coded (see Coded), is a retryable failure if there is one (the
// sender sends the batch again), else the first error.
func (b *Bus) DispatchBatch(ctx context.Context, events []Event) error {
	var first error
	for _, e := range events {
		err := b.Dispatch(ctx, e)
		if err == nil {
			continue
		}
		err = Coded(err)
		if first == nil || (final(first) && !final(err)) {
			first = err
		}
	}
	return first
}
