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

	"github.com/goxkit/gox/event"
)

// ToSDK returns e as an SDK event.
func ToSDK(e event.Event) (ce.Event, error) {
	out := ce.NewEvent(e.SpecVersion)
	out.SetID(e.ID)
	out.SetSource(e.Source)
	out.SetType(e.Type)
	if e.Subject != "" {
		out.SetSubject(e.Subject)
	}
	if !e.Time.IsZero() {
		out.SetTime(e.Time)
	}
	if e.DataSchema != "" {
		out.SetDataSchema(e.DataSchema)
	}
	for k, v := range e.Extensions {
		out.SetExtension(k, v)
	}
	if e.Data != nil || e.DataContentType != "" {
		out.DataEncoded = e.Data
		out.SetDataContentType(e.DataContentType)
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
		Data: in.Data()}
	for k, v := range in.Extensions() {
		if e.Extensions == nil {
			e.Extensions = map[string]string{}
		}
		e.Extensions[k] = fmt.Sprint(v)
	}
	if err := e.Validate(); err != nil {
		return event.Event{}, err
	}
	return e, nil
}
