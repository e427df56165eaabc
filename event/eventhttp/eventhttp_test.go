package eventhttp_test

import (
	"context"
	stderrors "errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/eventhttp"
	"github.com/goxkit/gox/event/internal/eventtest"
)

// The sender reaches every listener of the type in binary and structured
// mode, and they see the event that was sent.
func TestBothModes(t *testing.T) {
	rec := &eventtest.Recorder{}
	second := &eventtest.Recorder{}
	c := eventtest.Serve(t, event.NewBus(event.Listeners{"com.example.order.created": {rec, second}}))
	ctx := context.Background()
	want := eventtest.Sample(t)
	for _, s := range []*eventhttp.Sender{eventhttp.NewSender(c), eventhttp.NewSender(c, eventhttp.Structured())} {
		if err := s.Send(ctx, want); err != nil {
			t.Fatal(err)
		}
	}
	seen := rec.Events()
	if len(seen) != 2 || len(second.Events()) != 2 {
		t.Fatalf("%d and %d events seen; want both listeners to see both", len(seen), len(second.Events()))
	}
	for _, got := range seen {
		eventtest.Same(t, got, want)
	}
}

// An event missing a required attribute, in either mode, is a 400 naming
// it, and no listener sees it.
func TestBadEventsGet400NamingTheAttribute(t *testing.T) {
	rec := &eventtest.Recorder{}
	c := eventtest.Serve(t, event.NewBus(event.Listeners{"t": {rec}}))
	binary := func(drop string) http.Header {
		h := http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {"1"}, "Ce-Source": {"/s"}, "Ce-Type": {"t"}, "Content-Type": {"application/json"}}
		delete(h, drop)
		return h
	}
	for _, attr := range []string{"specversion", "id", "source", "type"} {
		code, body := eventtest.Post(t, c, binary("Ce-"+strings.ToUpper(attr[:1])+attr[1:]), `{}`)
		if code != 400 || !strings.Contains(body, "attribute "+attr+": missing") || !strings.Contains(body, `"attribute":"`+attr+`"`) {
			t.Fatalf("binary without %s: %d %s", attr, code, body)
		}
		structured := map[string]string{"specversion": `"1.0"`, "id": `"1"`, "source": `"/s"`, "type": `"t"`}
		delete(structured, attr)
		var parts []string
		for k, v := range structured {
			parts = append(parts, fmt.Sprintf("%q:%s", k, v))
		}
		code, body = eventtest.Post(t, c, http.Header{"Content-Type": {event.MediaType}}, "{"+strings.Join(parts, ",")+"}")
		if code != 400 || !strings.Contains(body, "attribute "+attr+": missing") {
			t.Fatalf("structured without %s: %d %s", attr, code, body)
		}
	}
	if code, body := eventtest.Post(t, c, http.Header{"Content-Type": {"application/json"}}, `{"id":1}`); code != 400 || !strings.Contains(body, "specversion") {
		t.Fatalf("not a cloudevent at all: %d %s", code, body)
	}
	if code, body := eventtest.Post(t, c, http.Header{"Content-Type": {event.MediaType}}, `{"specversion":`); code != 400 {
		t.Fatalf("truncated JSON: %d %s", code, body)
	}
	if n := len(rec.Events()); n != 0 {
		t.Fatalf("the listener saw %d invalid events", n)
	}
}

// A listener's coded error crosses the wire; an unknown type is a 404 with
// UnknownReject and acknowledged by default.
func TestListenerErrorsAndUnknownTypes(t *testing.T) {
	ctx := context.Background()
	failing := &eventtest.Recorder{Fail: eventtest.ErrOutOfStock}
	c := eventtest.Serve(t, event.NewBus(event.Listeners{"com.example.order.created": {failing}}, event.WithUnknown(event.UnknownReject), event.WithLogger(eventtest.Quiet())))
	err := eventhttp.NewSender(c).Send(ctx, eventtest.Sample(t))
	if !stderrors.Is(err, eventtest.ErrOutOfStock) {
		t.Fatalf("the listener's coded error did not cross the wire: %v", err)
	}
	other := eventtest.Sample(t)
	other.Type = "com.example.unheard.of"
	if err := eventhttp.NewSender(c).Send(ctx, other); errors.Code(err) != 404 || !strings.Contains(err.Error(), "com.example.unheard.of") {
		t.Fatalf("unknown type with UnknownReject: %v", err)
	}
	acking := eventtest.Serve(t, event.NewBus(nil, event.WithLogger(eventtest.Quiet())))
	if err := eventhttp.NewSender(acking).Send(ctx, other); err != nil {
		t.Fatalf("unknown type with the default policy: %v", err)
	}
}

// A batch (application/cloudevents-batch+json, which the SDKs send) is
// dispatched event by event; one invalid event refuses the whole batch
// before any listener runs, naming the attribute and the event.
func TestBatch(t *testing.T) {
	rec := &eventtest.Recorder{}
	c := eventtest.Serve(t, event.NewBus(event.Listeners{"t": {rec}}))
	batch := http.Header{"Content-Type": {event.BatchMediaType}}
	one := `{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"text/plain","data":"a"}`
	two := `{"specversion":"1.0","id":"2","source":"/s","type":"t","data_base64":"/w=="}`
	if code, body := eventtest.Post(t, c, batch, "["+one+","+two+"]"); code != http.StatusAccepted {
		t.Fatalf("a batch of two: %d %s", code, body)
	}
	if seen := rec.Events(); len(seen) != 2 || seen[0].ID != "1" || seen[1].ID != "2" || string(seen[1].Data) != "\xff" {
		t.Fatalf("the listener saw %+v", seen)
	}
	bad := `{"specversion":"1.0","id":"3","type":"t"}`
	if code, body := eventtest.Post(t, c, batch, "["+one+","+bad+"]"); code != 400 || !strings.Contains(body, "attribute source: missing (required) (event 1 of the batch)") {
		t.Fatalf("a batch with an invalid event: %d %s", code, body)
	}
	if code, body := eventtest.Post(t, c, batch, `{"not":"an array"}`); code != 400 || !strings.Contains(body, "not a JSON array") {
		t.Fatalf("a batch that is not an array: %d %s", code, body)
	}
	if n := len(rec.Events()); n != 2 {
		t.Fatalf("the listener saw %d events; the refused batches must not reach it", n)
	}
	if code, body := eventtest.Post(t, c, batch, `[]`); code != http.StatusAccepted {
		t.Fatalf("an empty batch: %d %s", code, body)
	}
}
