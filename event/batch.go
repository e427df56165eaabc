package event

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// IsBatch reports whether an HTTP message with this header carries a batch
// of events (application/cloudevents-batch+json).
func IsBatch(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == BatchMediaType
}

// ReadHTTPBatch reads a batch of events in the CloudEvents JSON batch
// format (a JSON array of structured events; the CloudEvents SDKs send it)
// and validates every one. The error is a *ValidationError naming the
// attribute and the event's position, or an error about the body.
func ReadHTTPBatch(h http.Header, body io.Reader, limit int64) ([]Event, error) {
	if !IsBatch(h) {
		return nil, &ValidationError{Attribute: "content-type", Reason: fmt.Sprintf("%q is not %s", h.Get("Content-Type"), BatchMediaType)}
	}
	data, err := readBody(body, limit)
	if err != nil {
		return nil, err
	}
	return UnmarshalBatch(data)
}

// UnmarshalBatch reads a JSON batch of events and validates each.
func UnmarshalBatch(data []byte) ([]Event, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("cloudevent: not a JSON array of events: %w", err)
	}
	events := make([]Event, len(raw))
	for i, r := range raw {
		err := events[i].UnmarshalJSON(r)
		if err == nil {
			err = events[i].Validate()
		}
		if err != nil {
			if verr, ok := err.(*ValidationError); ok {
				return nil, &ValidationError{Attribute: verr.Attribute, Reason: fmt.Sprintf("%s (event %d of the batch)", verr.Reason, i)}
			}
			return nil, fmt.Errorf("cloudevent: event %d of the batch: %w", i, err)
		}
	}
	return events, nil
}

// MarshalBatch writes events in the JSON batch format.
func MarshalBatch(events []Event) ([]byte, error) {
	b := []byte{'['}
	for i, e := range events {
		if i > 0 {
			b = append(b, ',')
		}
		one, err := e.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b = append(b, one...)
	}
	return append(b, ']'), nil
}
