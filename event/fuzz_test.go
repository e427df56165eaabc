package event_test

import (
	"bytes"
	stderrors "errors"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/eventpb"
)

// The fuzz targets feed each decoder of outside input (structured mode,
// binary mode, batch, the Protobuf format) and hold it to two properties:
// an accepted event is written again by every gox encoder and read back the
// same; a refused one gets an error naming the attribute (or the body, when
// it is not an event at all). No input panics.

const fuzzLimit = 1 << 20

// refused checks err names what was wrong.
func refused(t *testing.T, err error) {
	t.Helper()
	if verr, ok := stderrors.AsType[*event.ValidationError](err); ok {
		if verr.Attribute == "" || !strings.Contains(err.Error(), "attribute "+verr.Attribute) {
			t.Fatalf("a refusal that names no attribute: %v", err)
		}
		return
	}
	if !strings.Contains(err.Error(), "cloudevent: not a JSON") {
		t.Fatalf("a refusal that is neither a ValidationError nor about the body: %v", err)
	}
}

// roundTrip writes e with each encoder and reads it back.
func roundTrip(t *testing.T, e event.Event) {
	t.Helper()
	b, err := e.MarshalJSON()
	if err != nil {
		t.Fatalf("an accepted event cannot be written in the JSON format: %v\n%+v", err, e)
	}
	back, err := event.ReadHTTP(http.Header{"Content-Type": {event.MediaType}}, bytes.NewReader(b), fuzzLimit)
	if err != nil {
		t.Fatalf("gox refuses its own JSON format: %v\n%s", err, b)
	}
	equal(t, "JSON format", back, e, true)

	h := http.Header{}
	body, err := event.WriteHTTP(h, e, false)
	if err != nil {
		t.Fatalf("an accepted event cannot be written in binary mode: %v", err)
	}
	for name, vs := range h {
		for _, v := range vs {
			if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
				t.Fatalf("header %s: %q cannot be sent over HTTP", name, v)
			}
		}
	}
	if back, err = event.ReadHTTP(h, bytes.NewReader(body), fuzzLimit); err != nil {
		t.Fatalf("gox refuses its own binary mode: %v\n%v", err, h)
	}
	if h.Get("Content-Type") == e.DataContentType { // else written in structured mode, flag and all
		back.DataBase64 = e.DataBase64 // binary mode has no such flag
	}
	equal(t, "binary mode", back, e, false)

	raw, err := proto.Marshal(event.ToProto(e))
	if err != nil {
		t.Fatalf("an accepted event cannot be written in the Protobuf format: %v\n%+v", err, e)
	}
	var pb eventpb.CloudEvent
	if err := proto.Unmarshal(raw, &pb); err != nil {
		t.Fatal(err)
	}
	if back, err = event.FromProto(&pb); err != nil {
		t.Fatalf("gox refuses its own Protobuf format: %v\n%v", err, &pb)
	}
	equal(t, "Protobuf format", back, e, false)
}

// equal fails unless got is want. JSON data inline in the JSON format loses
// the white space around it (it is not part of the value).
func equal(t *testing.T, how string, got, want event.Event, trimJSON bool) {
	t.Helper()
	same := got.SpecVersion == want.SpecVersion && got.ID == want.ID && got.Source == want.Source &&
		got.Type == want.Type && got.Subject == want.Subject && got.Time.Equal(want.Time) &&
		got.DataContentType == want.DataContentType && got.DataSchema == want.DataSchema &&
		got.DataBase64 == want.DataBase64 && len(got.Extensions) == len(want.Extensions)
	for k, v := range want.Extensions {
		if w, ok := got.Extensions[k]; !ok || w != v {
			same = false
		}
	}
	if !bytes.Equal(got.Data, want.Data) && (!trimJSON || !bytes.Equal(got.Data, bytes.TrimSpace(want.Data))) {
		same = false
	}
	if !same {
		t.Fatalf("%s changed the event:\n got  %+v\n want %+v", how, got, want)
	}
}

func FuzzStructured(f *testing.F) {
	for _, s := range []string{
		`{"specversion":"1.0","id":"1","source":"/s","type":"t"}`,
		`{"specversion":"1.0","id":"order-7","source":"https://shop.example.com/orders","type":"com.example.order.created","subject":"order-7","time":"2026-11-21T10:30:00.123456Z","datacontenttype":"application/json","dataschema":"https://shop.example.com/schemas/order.json","tenant":"acme","data":{"id":7,"total":42}}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"text/plain","data":"hello\n"}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"application/json","data_base64":"/wBub3QganNvbns="}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"eyJhIjoxfQ=="}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","data":"x","data_base64":"eA=="}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","averyveryverylongextensionname":"x","n":5,"b":true,"nul":null}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","ext":{"a":1}}`,
		`{"specversion":"0.3","id":"1","source":"/s","type":"t"}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"10000-01-01T00:00:00Z"}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"application/json","data":  [1, 2 ,3] }`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","Tenant":"x"}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"text/plain; a=\"x\u0001y\"","data":"a"}`,
		`[]`, `null`, `{"specversion":`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := event.ReadHTTP(http.Header{"Content-Type": {event.MediaType}}, bytes.NewReader(body), fuzzLimit)
		if err != nil {
			refused(t, err)
			return
		}
		roundTrip(t, e)
	})
}

func FuzzBinary(f *testing.F) {
	f.Add("1.0", "1", "/s", "t", "application/json", "2026-11-21T10:30:00.123456Z", "tenant", "acme", []byte(`{"id":7}`))
	f.Add("1.0", "1", "/s", "t", "", "", "averyveryverylongextensionname", "", []byte("\xff\x00not json{"))
	f.Add("1.0", "1", "/s", "t", "text/plain; charset=utf-8", "", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", []byte("caf\xe9"))
	f.Add("1.0", "id%20with%22space", "https://x.example/a?b=c", "t", "application/json", "", "n", "%E2%82%AC", []byte(" 1 \n"))
	f.Add("1.0", "1", "/s", "t", event.MediaType, "", "x", "y", []byte(`{}`))
	f.Add("1.0", "1", "/s", "t", "application/cloudevents+xml", "", "x", "y", []byte(`<e/>`))
	f.Add("", "1", "/s", "t", "application/octet-stream", "not a time", "Bad_Name", "%zz", []byte{0, 1, 2})
	f.Add("1.0", "1", "/s", "t", "text/plain; a=\"x\x01y\"", "", "x", "y", []byte("a"))
	f.Fuzz(func(t *testing.T, spec, id, source, typ, ct, tm, ext, extValue string, body []byte) {
		h := http.Header{}
		for name, v := range map[string]string{"Specversion": spec, "Id": id, "Source": source, "Type": typ, "Time": tm, ext: extValue} {
			if v != "" || name == ext {
				h.Set("Ce-"+name, v)
			}
		}
		if ct != "" {
			h.Set("Content-Type", ct)
		}
		e, err := event.ReadHTTP(h, bytes.NewReader(body), fuzzLimit)
		if err != nil {
			refused(t, err)
			return
		}
		roundTrip(t, e)
	})
}

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
		pb := event.ToProto(e)
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
		e, err := event.FromProto(&pb)
		if err != nil {
			refused(t, err)
			return
		}
		roundTrip(t, e)
	})
}

func FuzzBatch(f *testing.F) {
	for _, s := range []string{
		`[]`,
		`[{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"text/plain","data":"a"},{"specversion":"1.0","id":"2","source":"/s","type":"t","data_base64":"/w=="}]`,
		`[{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"a":[1,2]},"ext":null}]`,
		`[{"specversion":"1.0","id":"1","source":"/s","type":"t"},{"specversion":"1.0","id":"3","type":"t"}]`,
		`[null]`, `[1]`, `{}`, `[`, `[{"specversion":"1.0","id":"1","source":"/s","type":"t","data":1,"data_base64":"AA=="}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := event.ReadHTTPBatch(http.Header{"Content-Type": {event.BatchMediaType}}, bytes.NewReader(body), fuzzLimit)
		if err != nil {
			refused(t, err)
			return
		}
		b, err := event.MarshalBatch(events)
		if err != nil {
			t.Fatalf("an accepted batch cannot be written: %v", err)
		}
		back, err := event.UnmarshalBatch(b)
		if err != nil || len(back) != len(events) {
			t.Fatalf("gox refuses its own batch (%d events back of %d): %v\n%s", len(back), len(events), err, b)
		}
		for i := range events {
			equal(t, "the batch format", back[i], events[i], true)
			roundTrip(t, events[i])
		}
	})
}
