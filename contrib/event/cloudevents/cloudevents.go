// Package cloudevents converts between gox's event.Event and the
// CloudEvents Go SDK's (github.com/cloudevents/sdk-go/v2), for services
// that already use the SDK next to gox's bus. gox itself speaks the
// CloudEvents wire formats without the SDK; this module's tests prove the
// two agree: the SDK's HTTP client, in binary and structured mode, sends to
// gox's event route and the listener sees the event the SDK sent.
package cloudevents

import (
	"fmt"

	ce "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/goxkit/gox/event"
)

// ToSDK returns e as an SDK event. It goes through the CloudEvents JSON
// format, so the SDK holds what a peer would receive from gox: data that
// travels as data_base64 sets the SDK's DataBase64.
func ToSDK(e event.Event) (ce.Event, error) {
	b, err := e.MarshalJSON()
	if err != nil {
		return ce.Event{}, fmt.Errorf("cloudevents: event %s: %w", e.ID, err)
	}
	out := ce.NewEvent()
	if err := out.UnmarshalJSON(b); err != nil {
		return ce.Event{}, fmt.Errorf("cloudevents: event %s: %w", e.ID, err)
	}
	if err := out.Validate(); err != nil {
		return ce.Event{}, fmt.Errorf("cloudevents: event %s: %w", e.ID, err)
	}
	return out, nil
}

// FromSDK returns an SDK event as a gox event, validated.
func FromSDK(in ce.Event) (event.Event, error) {
	e := event.Event{SpecVersion: in.SpecVersion(), ID: in.ID(), Source: in.Source(), Type: in.Type(),
		Subject: in.Subject(), Time: in.Time(), DataContentType: in.DataContentType(), DataSchema: in.DataSchema(),
		Data: in.Data(), DataBase64: in.DataBase64}
	for k, v := range in.Extensions() {
		s, err := types.ToString(v) // the attribute's canonical string form
		if err != nil {
			return event.Event{}, fmt.Errorf("cloudevents: event %s: extension %s: %w", in.ID(), k, err)
		}
		if e.Extensions == nil {
			e.Extensions = map[string]string{}
		}
		e.Extensions[k] = s
	}
	if err := e.Validate(); err != nil {
		return event.Event{}, err
	}
	return e, nil
}
