package eventgrpc

import (
	"encoding/base64"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/eventpb"
)

// ToProto is e in the CloudEvents Protobuf format: data that travels as
// text (see event.Event.InlineData) as text_data, anything else as
// binary_data.
func ToProto(e event.Event) *eventpb.CloudEvent {
	pb := &eventpb.CloudEvent{Id: e.ID, Source: e.Source, SpecVersion: e.SpecVersion, Type: e.Type,
		Attributes: map[string]*eventpb.CloudEvent_CloudEventAttributeValue{}}
	str := func(v string) *eventpb.CloudEvent_CloudEventAttributeValue {
		return &eventpb.CloudEvent_CloudEventAttributeValue{Attr: &eventpb.CloudEvent_CloudEventAttributeValue_CeString{CeString: v}}
	}
	if e.Subject != "" {
		pb.Attributes["subject"] = str(e.Subject)
	}
	if e.DataContentType != "" {
		pb.Attributes["datacontenttype"] = str(e.DataContentType)
	}
	if e.DataSchema != "" {
		pb.Attributes["dataschema"] = &eventpb.CloudEvent_CloudEventAttributeValue{Attr: &eventpb.CloudEvent_CloudEventAttributeValue_CeUri{CeUri: e.DataSchema}}
	}
	if !e.Time.IsZero() {
		pb.Attributes["time"] = &eventpb.CloudEvent_CloudEventAttributeValue{Attr: &eventpb.CloudEvent_CloudEventAttributeValue_CeTimestamp{CeTimestamp: timestamppb.New(e.Time)}}
	}
	for k, v := range e.Extensions {
		pb.Attributes[k] = str(v)
	}
	if len(e.Data) > 0 {
		if e.InlineData() {
			pb.Data = &eventpb.CloudEvent_TextData{TextData: string(e.Data)}
		} else {
			pb.Data = &eventpb.CloudEvent_BinaryData{BinaryData: e.Data}
		}
	}
	return pb
}

// FromProto reads an event in the CloudEvents Protobuf format and
// validates it. proto_data is refused: gox events carry bytes. An attribute
// with no value is absent; binary_data sets DataBase64 where the data could
// have travelled as text.
func FromProto(pb *eventpb.CloudEvent) (event.Event, error) {
	e := event.Event{ID: pb.GetId(), Source: pb.GetSource(), SpecVersion: pb.GetSpecVersion(), Type: pb.GetType()}
	for k, a := range pb.GetAttributes() {
		switch k {
		case "subject", "datacontenttype", "dataschema", "time":
		default:
			if err := event.ValidateExtensionName(k); err != nil {
				return event.Event{}, err
			}
		}
		var v string
		switch x := a.GetAttr().(type) {
		case nil:
			continue // no value: absent, like a null in the JSON format
		case *eventpb.CloudEvent_CloudEventAttributeValue_CeString:
			v = x.CeString
		case *eventpb.CloudEvent_CloudEventAttributeValue_CeUri:
			v = x.CeUri
		case *eventpb.CloudEvent_CloudEventAttributeValue_CeUriRef:
			v = x.CeUriRef
		case *eventpb.CloudEvent_CloudEventAttributeValue_CeBoolean:
			v = fmt.Sprint(x.CeBoolean)
		case *eventpb.CloudEvent_CloudEventAttributeValue_CeInteger:
			v = fmt.Sprint(x.CeInteger)
		case *eventpb.CloudEvent_CloudEventAttributeValue_CeTimestamp:
			if k == "time" {
				e.Time = x.CeTimestamp.AsTime()
				continue
			}
			v = x.CeTimestamp.AsTime().Format(time.RFC3339Nano)
		case *eventpb.CloudEvent_CloudEventAttributeValue_CeBytes:
			v = base64.StdEncoding.EncodeToString(x.CeBytes) // Binary's canonical string form
		}
		switch k {
		case "subject":
			e.Subject = v
		case "datacontenttype":
			e.DataContentType = v
		case "dataschema":
			e.DataSchema = v
		case "time":
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return event.Event{}, &event.ValidationError{Attribute: "time", Reason: fmt.Sprintf("%q is not an RFC 3339 timestamp", v)}
			}
			e.Time = t
		default:
			if e.Extensions == nil {
				e.Extensions = map[string]string{}
			}
			e.Extensions[k] = v
		}
	}
	switch d := pb.GetData().(type) {
	case *eventpb.CloudEvent_TextData:
		e.Data = []byte(d.TextData)
	case *eventpb.CloudEvent_BinaryData:
		e.Data = d.BinaryData
		e.DataBase64 = e.InlineData()
	case *eventpb.CloudEvent_ProtoData:
		return event.Event{}, &event.ValidationError{Attribute: "data", Reason: "proto_data is not supported; send binary_data or text_data"}
	}
	if len(e.Data) == 0 {
		e.Data, e.DataBase64 = nil, false
	}
	if err := e.Validate(); err != nil {
		return event.Event{}, err
	}
	return e, nil
}
