package eventgrpc_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/eventgrpc"
	"github.com/goxkit/gox/event/eventpb"
	"github.com/goxkit/gox/event/internal/eventtest"
)

// FuzzProto feeds the Protobuf decoder: an accepted event comes back the
// same from every encoder, a refused one gets an error naming the attribute.
func FuzzProto(f *testing.F) {
	e := event.Event{SpecVersion: "1.0", ID: "1", Source: "/s", Type: "t", Subject: "sub", DataContentType: "application/json",
		DataSchema: "https://x.example/s", Data: []byte(`{"a":1}`), Extensions: map[string]string{"tenant": "acme"}}
	for _, mutate := range []func(*eventpb.CloudEvent){
		func(*eventpb.CloudEvent) {},
		func(pb *eventpb.CloudEvent) { pb.Data = &eventpb.CloudEvent_BinaryData{BinaryData: []byte{0xff, 0}} },
		func(pb *eventpb.CloudEvent) { pb.Data = &eventpb.CloudEvent_TextData{TextData: "not json"} },
		func(pb *eventpb.CloudEvent) { pb.Attributes["nul"] = &eventpb.CloudEvent_CloudEventAttributeValue{} },
		func(pb *eventpb.CloudEvent) {
			pb.Attributes["n"] = &eventpb.CloudEvent_CloudEventAttributeValue{Attr: &eventpb.CloudEvent_CloudEventAttributeValue_CeInteger{CeInteger: -5}}
		},
		func(pb *eventpb.CloudEvent) {
			pb.Attributes["b"] = &eventpb.CloudEvent_CloudEventAttributeValue{Attr: &eventpb.CloudEvent_CloudEventAttributeValue_CeBytes{CeBytes: []byte{1}}}
		},
		func(pb *eventpb.CloudEvent) { pb.Source = "" },
		func(pb *eventpb.CloudEvent) {
			pb.Attributes["time"] = &eventpb.CloudEvent_CloudEventAttributeValue{Attr: &eventpb.CloudEvent_CloudEventAttributeValue_CeString{CeString: "yesterday"}}
		},
	} {
		pb := eventgrpc.ToProto(e)
		mutate(pb)
		b, err := proto.Marshal(pb)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var pb eventpb.CloudEvent
		if proto.Unmarshal(b, &pb) != nil {
			return // not protobuf: gRPC refuses it before gox sees it
		}
		e, err := eventgrpc.FromProto(&pb)
		if err != nil {
			eventtest.Refused(t, err)
			return
		}
		eventtest.RoundTrip(t, e)
	})
}
