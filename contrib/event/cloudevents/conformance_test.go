package cloudevents_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	ce "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/contrib/event/cloudevents"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/eventhttp"
	xhttp "github.com/goxkit/gox/transport/http"
)

// gox behind an SDK client: its event route, on a bus with these listeners.
func goxRoute(t *testing.T, ls event.Listeners) string {
	t.Helper()
	s, err := xhttp.NewServer(xhttp.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	eventhttp.Route(s, event.NewBus(ls), "")
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.URL + eventhttp.DefaultPath
}

// sdkSend sends e with the SDK's HTTP client in mode ("binary" or
// "structured") and returns its result.
func sdkSend(t *testing.T, target, mode string, e ce.Event) error {
	t.Helper()
	c, err := ce.NewClientHTTP(ce.WithTarget(target))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ce.WithEncodingBinary(context.Background())
	if mode == "structured" {
		ctx = ce.WithEncodingStructured(context.Background())
	}
	return c.Send(ctx, e)
}

// sdkReceiver is a receiver made with the SDK: what it receives comes out
// of got (buffered for n events); toSDK has gox HTTP senders to it in each
// mode, "binary" and "structured".
func sdkReceiver(t *testing.T, n int) (got chan ce.Event, toSDK map[string]event.Sender) {
	t.Helper()
	got = make(chan ce.Event, n)
	p, err := ce.NewHTTP()
	if err != nil {
		t.Fatal(err)
	}
	h, err := ce.NewHTTPReceiveHandler(context.Background(), p, func(e ce.Event) { got <- e })
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c, err := xhttp.NewClient(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	return got, map[string]event.Sender{
		"binary":     eventhttp.NewSender(c, eventhttp.WithPath("/")),
		"structured": eventhttp.NewSender(c, eventhttp.WithPath("/"), eventhttp.Structured()),
	}
}

func sdkEvent(id string) ce.Event {
	e := ce.NewEvent()
	e.SetID(id)
	e.SetSource("https://shop.example.com/orders")
	e.SetType("com.example.order.created")
	e.SetTime(time.Date(2026, 11, 21, 10, 30, 0, 123456000, time.UTC))
	return e
}

// The SDK sends extension names over 20 characters (the spec's SHOULD
// NOT); gox acknowledges them in both modes and the listener sees them.
func TestSDKLongExtensionName(t *testing.T) {
	var seen []event.Event
	route := goxRoute(t, event.Listeners{"com.example.order.created": {event.ListenerFunc(func(_ context.Context, e event.Event) error {
		seen = append(seen, e)
		return nil
	})}})
	sent := sdkEvent("long-ext")
	sent.SetExtension("averyveryverylongextensionname", "acme")
	for _, mode := range []string{"binary", "structured"} {
		if res := sdkSend(t, route, mode, sent); !ce.IsACK(res) {
			t.Fatalf("%s: not acknowledged: %v", mode, res)
		}
	}
	for _, e := range seen {
		if e.Extensions["averyveryverylongextensionname"] != "acme" {
			t.Fatalf("extensions %v", e.Extensions)
		}
	}
}

// Every event gox acknowledges from the SDK can be written again: received
// on gox's route, forwarded through a broker (the JSON format) and on by
// gox's HTTP sender, it reaches an SDK receiver as the event the SDK sent.
// Before, data_base64 under a JSON content type was acknowledged and then
// could not be serialised.
func TestSDKEventSurvivesGoxForwarding(t *testing.T) {
	notJSON := []byte("\xff\x00not json{")
	cases := map[string]func() (string, ce.Event){
		"data_base64 under application/json": func() (string, ce.Event) {
			e := sdkEvent("b64-json")
			_ = e.SetData(ce.ApplicationJSON, notJSON) // []byte: the SDK sends data_base64
			return "structured", e
		},
		"data_base64 of valid JSON": func() (string, ce.Event) {
			e := sdkEvent("b64-valid")
			_ = e.SetData(ce.ApplicationJSON, []byte(`{"id": 7}`))
			return "structured", e
		},
		"data_base64 without a content type": func() (string, ce.Event) {
			e := sdkEvent("b64-none")
			e.DataEncoded, e.DataBase64 = notJSON, true
			return "structured", e
		},
		"binary mode without Content-Type": func() (string, ce.Event) {
			e := sdkEvent("bin-none")
			e.DataEncoded = notJSON
			return "binary", e
		},
		"text as a string": func() (string, ce.Event) {
			e := sdkEvent("xml")
			_ = e.SetData("application/xml", "<order id=\"7\"/>")
			return "structured", e
		},
	}
	got, toSDK := sdkReceiver(t, 2*len(cases))

	b := broker.NewMemory()
	ctx := context.Background()
	consumer, err := event.NewConsumer(b, "events", event.NewBus(event.Listeners{"com.example.order.created": {
		event.ListenerFunc(func(ctx context.Context, e event.Event) error {
			for _, s := range []event.Sender{toSDK["binary"], toSDK["structured"]} {
				if err := s.Send(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})}}), broker.ConsumerOptions{Group: "g", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = consumer.Start(ctx) }()
	defer consumer.Stop(ctx)
	toBroker := event.NewBrokerSender(b, "events")
	route := goxRoute(t, event.Listeners{"com.example.order.created": {event.ListenerFunc(toBroker.Send)}})

	for name, build := range cases {
		mode, sent := build()
		if res := sdkSend(t, route, mode, sent); !ce.IsACK(res) {
			t.Fatalf("%s: gox did not acknowledge: %v", name, res)
		}
		for i := range 2 { // the binary copy, then the structured one
			var in ce.Event
			select {
			case in = <-got:
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: the SDK receiver got nothing: acknowledged, then lost", name)
			}
			if i == 0 || mode == "binary" {
				in.DataBase64 = sent.DataBase64 // binary mode has no such flag
			}
			if in.String() != sent.String() {
				t.Fatalf("%s: the SDK received\n%s\nit sent\n%s", name, in, sent)
			}
		}
	}
}

// The SDK's batch request (application/cloudevents-batch+json) reaches
// gox's route; every event of it reaches the listener as the SDK sent it.
func TestSDKBatchToGoxRoute(t *testing.T) {
	var seen []event.Event
	route := goxRoute(t, event.Listeners{"com.example.order.created": {event.ListenerFunc(func(_ context.Context, e event.Event) error {
		seen = append(seen, e)
		return nil
	})}})
	a, b := sdkEvent("batch-1"), sdkEvent("batch-2")
	if err := a.SetData(ce.ApplicationJSON, map[string]int{"id": 7}); err != nil {
		t.Fatal(err)
	}
	b.SetExtension("averyveryverylongextensionname", "acme")
	req, err := ce.NewHTTPRequestFromEvents(context.Background(), route, []ce.Event{a, b})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || len(seen) != 2 {
		t.Fatalf("status %d, %d events seen", resp.StatusCode, len(seen))
	}
	for i, sent := range []ce.Event{a, b} {
		back, err := cloudevents.ToSDK(seen[i])
		if err != nil {
			t.Fatal(err)
		}
		if back.String() != sent.String() {
			t.Fatalf("event %d:\n got  %s\n sent %s", i, back, sent)
		}
	}
}

// A listener that cannot read the event's data returns DataAs's error: the
// SDK's client gets a 400 (not a 500), which tells it not to send the same
// event again; a listener's transient failure is still a 5xx.
func TestSDKSeesListenerErrorsItShouldNotRetry(t *testing.T) {
	var calls atomic.Int32
	route := goxRoute(t, event.Listeners{"com.example.order.created": {event.ListenerFunc(func(_ context.Context, e event.Event) error {
		calls.Add(1)
		var order struct{ ID int }
		return e.DataAs(&order)
	})}})
	sent := sdkEvent("bad-data")
	if err := sent.SetData(ce.ApplicationJSON, map[string]string{"ID": "seven"}); err != nil {
		t.Fatal(err)
	}
	c, err := ce.NewClientHTTP(ce.WithTarget(route))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ce.ContextWithRetriesExponentialBackoff(context.Background(), time.Millisecond, 3)
	res := c.Send(ctx, sent)
	var retries *cehttp.RetriesResult
	var httpResult *cehttp.Result
	if !ce.ResultAs(res, &retries) || !ce.ResultAs(retries.Result, &httpResult) || httpResult.StatusCode != http.StatusBadRequest || retries.Retries != 0 {
		t.Fatalf("the SDK got %v; want a 400, not retried", res)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the listener ran %d times; the SDK must not retry bad data", n)
	}
}
