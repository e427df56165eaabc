package cloudevents_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	ce "github.com/cloudevents/sdk-go/v2"

	"github.com/goxkit/gox/contrib/event/cloudevents"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/eventhttp"
	xhttp "github.com/goxkit/gox/transport/http"
)

// The SDK's HTTP client sends one event in binary mode and one in
// structured mode to gox's event route; the listener sees, both times, the
// event the SDK sent: every attribute, the extensions, the data.
func TestSDKClientToGoxRoute(t *testing.T) {
	var mu sync.Mutex
	var seen []event.Event
	bus := event.NewBus(event.Listeners{"com.example.order.created": {event.ListenerFunc(func(_ context.Context, e event.Event) error {
		mu.Lock()
		seen = append(seen, e)
		mu.Unlock()
		return nil
	})}})
	s, err := xhttp.NewServer(xhttp.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	eventhttp.Route(s, bus, "")
	ts := httptest.NewServer(s)
	defer ts.Close()

	sent := ce.NewEvent()
	sent.SetID("order-7-created")
	sent.SetSource("https://shop.example.com/orders")
	sent.SetType("com.example.order.created")
	sent.SetSubject("order-7")
	sent.SetTime(time.Date(2026, 11, 21, 10, 30, 0, 123456000, time.UTC))
	sent.SetDataSchema("https://shop.example.com/schemas/order.json")
	sent.SetExtension("tenant", "acme")
	if err := sent.SetData(ce.ApplicationJSON, map[string]any{"id": 7, "total": 42}); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"binary", "structured"} {
		c, err := ce.NewClientHTTP(ce.WithTarget(ts.URL + eventhttp.DefaultPath))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if mode == "structured" {
			ctx = ce.WithEncodingStructured(ctx)
		} else {
			ctx = ce.WithEncodingBinary(ctx)
		}
		if res := c.Send(ctx, sent); !ce.IsACK(res) {
			t.Fatalf("%s: the SDK's send was not acknowledged: %v", mode, res)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 {
		t.Fatalf("the listener saw %d events; want 2", len(seen))
	}
	for i, got := range seen {
		back, err := cloudevents.ToSDK(got)
		if err != nil {
			t.Fatal(err)
		}
		if back.String() != sent.String() {
			t.Fatalf("event %d (mode %d) differs from what the SDK sent:\n got  %s\n sent %s", i, i, back, sent)
		}
	}
}

// gox's HTTP sender, both modes, to a receiver made with the SDK.
func TestGoxSenderToSDKReceiver(t *testing.T) {
	got, toSDK := sdkReceiver(t, 2)
	e, _ := event.New("com.example.order.created", "/orders", map[string]int{"id": 7})
	e.Extensions = map[string]string{"tenant": "acme"}
	for _, s := range []event.Sender{toSDK["binary"], toSDK["structured"]} {
		if err := s.Send(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		in := <-got
		back, err := cloudevents.FromSDK(in)
		if err != nil {
			t.Fatal(err)
		}
		if back.ID != e.ID || back.Type != e.Type || back.Source != e.Source || !back.Time.Equal(e.Time) ||
			string(back.Data) != string(e.Data) || back.Extensions["tenant"] != "acme" || back.DataContentType != "application/json" {
			t.Fatalf("the SDK received %+v; sent %+v", back, e)
		}
	}
}
