package event_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/internal/eventtest"
)

// The fuzz targets feed each decoder of outside input this package holds
// (structured mode, binary mode, batch; the Protobuf one is eventgrpc's):
// an accepted event is written again by every gox encoder and read back the
// same (eventtest.RoundTrip); a refused one gets an error naming the
// attribute, or the body when it is not an event at all. No input panics.

// FuzzStructured feeds ReadHTTP structured-mode bodies.
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
		e, err := event.ReadHTTP(http.Header{"Content-Type": {event.MediaType}}, bytes.NewReader(body), eventtest.FuzzLimit)
		if err != nil {
			eventtest.Refused(t, err)
			return
		}
		eventtest.RoundTrip(t, e)
	})
}

// FuzzBinary feeds ReadHTTP binary-mode headers and bodies.
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
		e, err := event.ReadHTTP(h, bytes.NewReader(body), eventtest.FuzzLimit)
		if err != nil {
			eventtest.Refused(t, err)
			return
		}
		eventtest.RoundTrip(t, e)
	})
}

// FuzzBatch feeds ReadHTTPBatch, and writes an accepted batch again.
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
		events, err := event.ReadHTTPBatch(http.Header{"Content-Type": {event.BatchMediaType}}, bytes.NewReader(body), eventtest.FuzzLimit)
		if err != nil {
			eventtest.Refused(t, err)
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
			eventtest.Equal(t, "the batch format", back[i], events[i], true)
			eventtest.RoundTrip(t, events[i])
		}
	})
}
