package event_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	gerrors "github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/internal/eventtest"
	"github.com/goxkit/gox/report"
)

// Events dispatched by a Channel whose listener fails or panics are
// reported with the event's type, id and source; a listener's expected
// failure (a 4xx) and a success are not; the worker survives the panic.
func TestChannelReportsFailingListeners(t *testing.T) {
	reports := make(chan *report.Report, 10)
	d, err := report.NewDispatcher(report.WithReporter(report.ReporterFunc(func(_ context.Context, r *report.Report) error {
		reports <- r
		return nil
	})), report.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	listeners := event.Listeners{
		"order.paid":    {event.ListenerFunc(func(context.Context, event.Event) error { return errors.New("ledger unreachable") })},
		"order.shipped": {event.ListenerFunc(func(context.Context, event.Event) error { panicsInListener(); return nil })},
		"order.viewed":  {event.ListenerFunc(func(context.Context, event.Event) error { return gerrors.BadRequest("", "no such order") })},
		"order.placed":  {event.ListenerFunc(func(context.Context, event.Event) error { return nil })},
	}
	bus := event.NewBus(listeners, event.WithReporter(d), event.WithLogger(eventtest.Quiet()))
	ch := event.NewChannel(bus)
	ctx := context.Background()
	for _, typ := range []string{"order.paid", "order.shipped", "order.viewed", "order.placed"} {
		e := event.Event{SpecVersion: "1.0", ID: typ + "-1", Source: "/shop", Type: typ}
		if err := ch.Send(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := ch.Stop(ctx); err != nil { // every queued event dispatched
		t.Fatal(err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]*report.Report{}
	for len(reports) > 0 {
		r := <-reports
		got[r.Operation] = r
	}
	if len(got) != 2 {
		t.Fatalf("reports for %v; want order.paid and order.shipped", keys(got))
	}
	if r := got["order.paid"]; r == nil || r.Kind != report.KindEvent || r.Code != 500 || r.Tags["event_id"] != "order.paid-1" ||
		r.Tags["event_source"] != "/shop" || !strings.Contains(r.Err.Error(), "ledger unreachable") {
		t.Errorf("failure report %+v", r)
	}
	if r := got["order.shipped"]; r == nil || !r.Panic || !strings.Contains(r.Stack, "event_test.panicsInListener") {
		t.Errorf("panic report %+v", r)
	}
}

func panicsInListener() { panic("listener bug") }

func keys(m map[string]*report.Report) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
