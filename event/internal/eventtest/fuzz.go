package eventtest

import (
	"bytes"
	stderrors "errors"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/eventgrpc"
	"github.com/goxkit/gox/event/eventpb"
)

// FuzzLimit is the body limit the fuzz targets read with.
const FuzzLimit = 1 << 20

// Refused fails unless err names what was wrong: the attribute, or the
// body when it is not an event at all.
func Refused(t testing.TB, err error) {
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

// RoundTrip writes e with each encoder (JSON format, binary mode, Protobuf
// format), reads it back and fails unless it is the same event.
func RoundTrip(t testing.TB, e event.Event) {
	t.Helper()
	b, err := e.MarshalJSON()
	if err != nil {
		t.Fatalf("an accepted event cannot be written in the JSON format: %v\n%+v", err, e)
	}
	back, err := event.ReadHTTP(http.Header{"Content-Type": {event.MediaType}}, bytes.NewReader(b), FuzzLimit)
	if err != nil {
		t.Fatalf("gox refuses its own JSON format: %v\n%s", err, b)
	}
	Equal(t, "JSON format", back, e, true)

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
	if back, err = event.ReadHTTP(h, bytes.NewReader(body), FuzzLimit); err != nil {
		t.Fatalf("gox refuses its own binary mode: %v\n%v", err, h)
	}
	if h.Get("Content-Type") == e.DataContentType { // else written in structured mode, flag and all
		back.DataBase64 = e.DataBase64 // binary mode has no such flag
	}
	Equal(t, "binary mode", back, e, false)

	raw, err := proto.Marshal(eventgrpc.ToProto(e))
	if err != nil {
		t.Fatalf("an accepted event cannot be written in the Protobuf format: %v\n%+v", err, e)
	}
	var pb eventpb.CloudEvent
	if err := proto.Unmarshal(raw, &pb); err != nil {
		t.Fatal(err)
	}
	if back, err = eventgrpc.FromProto(&pb); err != nil {
		t.Fatalf("gox refuses its own Protobuf format: %v\n%v", err, &pb)
	}
	Equal(t, "Protobuf format", back, e, false)
}

// Equal fails unless got is want. JSON data inline in the JSON format loses
// the white space around it (it is not part of the value).
func Equal(t testing.TB, how string, got, want event.Event, trimJSON bool) {
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
