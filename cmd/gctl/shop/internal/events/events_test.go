// scaffolded by gctl; safe to edit.

package events_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/event"
	xhttp "github.com/goxkit/gox/transport/http"

	"shop/internal/events"
)

// The event route hands an event to its listeners; an invalid one is a 400
// naming the attribute.
func TestEventRoute(t *testing.T) {
	seen := make(chan string, 1)
	ls := events.Listeners(slog.New(slog.DiscardHandler))
	ls[events.ExampleCreated] = append(ls[events.ExampleCreated], event.ListenerFunc(func(_ context.Context, e event.Event) error {
		seen <- e.ID
		return nil
	}))
	s, err := xhttp.NewServer(xhttp.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	event.Route(s, event.NewBus(ls), "")
	ts := httptest.NewServer(s)
	defer ts.Close()
	c, _ := xhttp.NewClient(ts.URL)

	e, _ := event.New(events.ExampleCreated, "/test", map[string]int{"id": 1})
	if err := event.NewHTTPSender(c).Send(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if id := <-seen; id != e.ID {
		t.Fatalf("listener saw %s, want %s", id, e.ID)
	}
	e.Source = ""
	err = event.NewHTTPSender(c).Send(context.Background(), e)
	if err == nil || !strings.Contains(err.Error(), "attribute source") {
		t.Fatalf("an event without source: %v", err)
	}
	e.Source = "/test"
	r, _ := xhttp.NewClient(ts.URL)
	err = r.Invoke(context.Background(), "POST", event.PathEvent, map[string]string{"id": "1"}, nil)
	if errors.Code(err) != 400 {
		t.Fatalf("a body that is no CloudEvent: %v", err)
	}
}
