package event

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/goxkit/gox/event/eventpb"
)

//go:generate protoc -I eventpb -I /usr/include --go_out=eventpb --go_opt=paths=source_relative --go-grpc_out=eventpb --go-grpc_opt=paths=source_relative event.proto

// RegisterService serves the event bus on a gRPC server (a gox
// transport/grpc Server is a grpc.ServiceRegistrar): EventService.Send
// dispatches to bus and answers once the listeners returned. The server's
// chain (and its error mapping: 400 → InvalidArgument, 404 → NotFound) runs
// around it.
func RegisterService(s grpc.ServiceRegistrar, bus *Bus) {
	eventpb.RegisterEventServiceServer(s, &service{bus: bus})
}

type service struct {
	eventpb.UnimplementedEventServiceServer
	bus *Bus
}

func (s *service) Send(ctx context.Context, in *eventpb.CloudEvent) (*emptypb.Empty, error) {
	e, err := FromProto(in)
	if err == nil {
		err = s.bus.Dispatch(ctx, e)
	}
	if err != nil {
		return nil, asError(err)
	}
	return &emptypb.Empty{}, nil
}

// GRPCSender sends events to a peer's EventService, synchronously.
type GRPCSender struct{ c eventpb.EventServiceClient }

// NewGRPCSender sends over conn (from transport/grpc Dial: the client chain
// and deadline propagation apply).
func NewGRPCSender(conn grpc.ClientConnInterface) *GRPCSender {
	return &GRPCSender{c: eventpb.NewEventServiceClient(conn)}
}

// Send implements Sender.
func (s *GRPCSender) Send(ctx context.Context, e Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if _, err := s.c.Send(ctx, ToProto(e)); err != nil {
		return fmt.Errorf("event %s (%s): send over gRPC: %w", e.Type, e.ID, err)
	}
	return nil
}

// ToProto is e in the CloudEvents Protobuf format: data that can travel
// inline in the JSON format (see MarshalJSON) as text_data, anything else as
// binary_data.
func ToProto(e Event) *eventpb.CloudEvent {
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
		if inline(e) {
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
func FromProto(pb *eventpb.CloudEvent) (Event, error) {
	e := Event{ID: pb.GetId(), Source: pb.GetSource(), SpecVersion: pb.GetSpecVersion(), Type: pb.GetType()}
	for k, a := range pb.GetAttributes() {
		switch k {
		case "subject", "datacontenttype", "dataschema", "time":
		default:
			if err := checkName(k); err != nil {
				return Event{}, err
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
				return Event{}, &ValidationError{Attribute: "time", Reason: fmt.Sprintf("%q is not an RFC 3339 timestamp", v)}
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
		e.DataBase64 = inline(e)
	case *eventpb.CloudEvent_ProtoData:
		return Event{}, &ValidationError{Attribute: "data", Reason: "proto_data is not supported; send binary_data or text_data"}
	}
	if len(e.Data) == 0 {
		e.Data, e.DataBase64 = nil, false
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}
