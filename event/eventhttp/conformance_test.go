package eventhttp_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/eventgrpc"
	"github.com/goxkit/gox/event/eventhttp"
	"github.com/goxkit/gox/event/internal/eventtest"
	"github.com/goxkit/gox/goxtest"
)

// structured is a structured-mode request's header.
var structured = http.Header{"Content-Type": {event.MediaType}}

// An extension name over 20 characters is a SHOULD NOT of the spec that the
// SDKs send anyway: gox takes it, in both modes, and still refuses names
// outside [a-z0-9].
func TestLongExtensionNamesAreAccepted(t *testing.T) {
	rec := &eventtest.Recorder{}
	c := eventtest.Serve(t, event.NewBus(event.Listeners{"t": {rec}}))
	long := "averyveryverylongextensionname" // 30 characters
	binary := http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {"1"}, "Ce-Source": {"/s"}, "Ce-Type": {"t"}, "Ce-" + long: {"x"}}
	if code, body := eventtest.Post(t, c, binary, ""); code != http.StatusAccepted {
		t.Fatalf("binary mode, a 30-character extension name: %d %s", code, body)
	}
	if code, body := eventtest.Post(t, c, structured, `{"specversion":"1.0","id":"2","source":"/s","type":"t","`+long+`":"x"}`); code != http.StatusAccepted {
		t.Fatalf("structured mode, a 30-character extension name: %d %s", code, body)
	}
	for _, e := range rec.Events() {
		if e.Extensions[long] != "x" {
			t.Fatalf("event %s lost its extension: %+v", e.ID, e.Extensions)
		}
	}
	if code, body := eventtest.Post(t, c, structured, `{"specversion":"1.0","id":"3","source":"/s","type":"t","tenant_id":"x"}`); code != 400 || !strings.Contains(body, "tenant_id") {
		t.Fatalf("an extension name with an underscore: %d %s", code, body)
	}
}

// data and data_base64 are exclusive: an event with both is refused with a
// 400 that names both, and no listener sees it.
func TestDataAndDataBase64TogetherAreRefused(t *testing.T) {
	rec := &eventtest.Recorder{}
	c := eventtest.Serve(t, event.NewBus(event.Listeners{"t": {rec}}))
	code, body := eventtest.Post(t, c, structured, `{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"text/plain","data":"hi","data_base64":"aGk="}`)
	if code != 400 || !strings.Contains(body, "data_base64") || !strings.Contains(body, "together with data") {
		t.Fatalf("data and data_base64 together: %d %s", code, body)
	}
	if n := len(rec.Events()); n != 0 {
		t.Fatalf("the listener saw %d events", n)
	}
}

// A null attribute is an absent one (JSON format, 2.3): not the string
// "null"; an object is not an extension value.
func TestNullExtensionIsAbsent(t *testing.T) {
	rec := &eventtest.Recorder{}
	c := eventtest.Serve(t, event.NewBus(event.Listeners{"t": {rec}}))
	if code, body := eventtest.Post(t, c, structured, `{"specversion":"1.0","id":"1","source":"/s","type":"t","subject":null,"tenant":null,"region":"eu"}`); code != http.StatusAccepted {
		t.Fatalf("%d %s", code, body)
	}
	seen := rec.Events()
	if len(seen) != 1 {
		t.Fatalf("%d events seen", len(seen))
	}
	if v, ok := seen[0].Extensions["tenant"]; ok {
		t.Fatalf("a null extension became %q", v)
	}
	if seen[0].Extensions["region"] != "eu" {
		t.Fatalf("extensions %v", seen[0].Extensions)
	}
	if code, body := eventtest.Post(t, c, structured, `{"specversion":"1.0","id":"2","source":"/s","type":"t","tenant":{"id":1}}`); code != 400 || !strings.Contains(body, "tenant") {
		t.Fatalf("an object as an extension value: %d %s", code, body)
	}
}

// Every event the route acknowledges can be written again: a listener that
// forwards it through a broker (the JSON format) and on over HTTP (both
// modes) and gRPC hands the next listener the same event. Before, some were
// acknowledged (202) and then failed to serialise.
func TestAcceptedEventsCanBeForwarded(t *testing.T) {
	notJSON := []byte("\xff\x00not json{")
	b64 := base64.StdEncoding.EncodeToString(notJSON)
	ce := func(id string) http.Header {
		return http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {id}, "Ce-Source": {"/s"}, "Ce-Type": {"t"}}
	}
	withCT := func(h http.Header, ct string) http.Header { h.Set("Content-Type", ct); return h }
	cases := []struct {
		name string
		h    http.Header
		body string
		want event.Event
	}{
		{"data_base64 under application/json", structured,
			`{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"application/json","data_base64":"` + b64 + `"}`,
			event.Event{ID: "1", DataContentType: "application/json", Data: notJSON}},
		{"data_base64 without a content type", structured,
			`{"specversion":"1.0","id":"2","source":"/s","type":"t","data_base64":"` + b64 + `"}`,
			event.Event{ID: "2", Data: notJSON}},
		{"data_base64 of JSON", structured,
			`{"specversion":"1.0","id":"3","source":"/s","type":"t","datacontenttype":"application/json","data_base64":"` + base64.StdEncoding.EncodeToString([]byte(`{"a":1}`)) + `"}`,
			event.Event{ID: "3", DataContentType: "application/json", Data: []byte(`{"a":1}`), DataBase64: true}},
		{"binary mode without Content-Type", ce("4"), string(notJSON), event.Event{ID: "4", Data: notJSON}},
		{"binary mode, text that is not UTF-8", withCT(ce("5"), "text/plain"), "caf\xe9", event.Event{ID: "5", DataContentType: "text/plain", Data: []byte("caf\xe9")}},
		{"binary mode, an empty extension", withCT(ce("6"), "text/plain"), "hi", event.Event{ID: "6", DataContentType: "text/plain", Data: []byte("hi"), Extensions: map[string]string{"tenant": ""}}},
	}
	cases[5].h.Set("Ce-Tenant", "")

	// the last hop: a gRPC peer, reached from the HTTP peer's listener
	last := &eventtest.Recorder{}
	grpcSender := eventgrpc.NewSender(eventtest.GRPCPeer(t, event.NewBus(event.Listeners{"t": {last}})))
	// the HTTP peers, binary then structured, each forwarding to the next
	viaStructured := eventhttp.NewSender(eventtest.Serve(t, event.NewBus(event.Listeners{"t": {eventtest.Forward(grpcSender)}})), eventhttp.Structured())
	viaBinary := eventhttp.NewSender(eventtest.Serve(t, event.NewBus(event.Listeners{"t": {eventtest.Forward(viaStructured)}})))
	// the broker hop
	b := broker.NewMemory()
	consumer, err := event.NewConsumer(b, "events", event.NewBus(event.Listeners{"t": {eventtest.Forward(viaBinary)}}), broker.ConsumerOptions{Group: "g", Logger: eventtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = consumer.Start(context.Background()) }()
	t.Cleanup(func() { _ = consumer.Stop(context.Background()) })
	first := &eventtest.Recorder{}
	route := eventtest.Serve(t, event.NewBus(event.Listeners{"t": {first, eventtest.Forward(event.NewBrokerSender(b, "events"))}}))

	for _, tc := range cases {
		if code, body := eventtest.Post(t, route, tc.h, tc.body); code != http.StatusAccepted {
			t.Fatalf("%s: %d %s", tc.name, code, body)
		}
	}
	goxtest.Eventually(t, 10*time.Second, func() bool { return len(last.Events()) == len(cases) })
	byID := map[string]event.Event{}
	for _, e := range first.Events() {
		byID["first"+e.ID] = e
	}
	for _, e := range last.Events() {
		byID[e.ID] = e
	}
	for _, tc := range cases {
		tc.want.SpecVersion, tc.want.Source, tc.want.Type = "1.0", "/s", "t"
		eventtest.Same(t, byID["first"+tc.want.ID], tc.want)
		got := byID[tc.want.ID]
		got.DataBase64 = tc.want.DataBase64 // binary mode has no such flag
		eventtest.Same(t, got, tc.want)
	}
}
