package event_test

import (
	"context"
	stderrors "errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/internal/eventtest"
)

// Coded is what a binding answers a decoder's or Dispatch's error with: the
// status and reason a sender sees.
func TestCodedAnswers(t *testing.T) {
	plain := stderrors.New("cloudevent: reading the body: connection reset")
	cases := []struct {
		name   string
		err    error
		code   int
		reason string
	}{
		{"invalid event", &event.ValidationError{Attribute: "source", Reason: "missing (required)"}, 400, event.ReasonInvalid},
		{"body over the limit", &event.TooLargeError{Limit: 10}, 413, errors.ReasonTooLarge},
		{"body over the server's limit", &http.MaxBytesError{Limit: 10}, 413, errors.ReasonTooLarge},
		{"unknown type", fmt.Errorf("%w: com.example.nobody", event.ErrUnknownType), 404, event.ReasonUnknownType},
		{"a listener's coded error", eventtest.ErrOutOfStock, 409, "OUT_OF_STOCK"},
	}
	for _, tc := range cases {
		got := event.Coded(tc.err)
		if errors.Code(got) != tc.code || errors.Reason(got) != tc.reason || !stderrors.Is(got, tc.err) {
			t.Errorf("%s: %v (code %d, reason %q); want %d %s, wrapping the error", tc.name, got, errors.Code(got), errors.Reason(got), tc.code, tc.reason)
		}
	}
	if got := event.Coded(&event.ValidationError{Attribute: "source", Reason: "missing (required)"}); errors.FromError(got).Metadata["attribute"] != "source" {
		t.Errorf("an invalid event's answer does not name the attribute in its metadata: %v", got)
	}
	if got := event.Coded(plain); got != plain {
		t.Errorf("an error Coded does not know became %v", got)
	}
}

// A batch is dispatched whole even when an event fails; the answer is a
// retryable failure over another event's final one, so the sender sends the
// batch again.
func TestDispatchBatch(t *testing.T) {
	rec := &eventtest.Recorder{}
	down := stderrors.New("ledger: connection refused")
	bus := event.NewBus(event.Listeners{
		"ok":       {rec},
		"conflict": {&eventtest.Recorder{Fail: eventtest.ErrOutOfStock}},
		"down":     {event.ListenerFunc(func(context.Context, event.Event) error { return down })},
	}, event.WithUnknown(event.UnknownReject), event.WithLogger(eventtest.Quiet()))
	ev := func(id, typ string) event.Event {
		return event.Event{SpecVersion: "1.0", ID: id, Source: "/s", Type: typ}
	}
	ctx := context.Background()
	if err := bus.DispatchBatch(ctx, []event.Event{ev("1", "ok"), ev("2", "conflict"), ev("3", "down"), ev("4", "ok")}); errors.Code(err) != 500 || !stderrors.Is(err, down) {
		t.Fatalf("a batch with a conflict then an outage: %v; want the outage's 500", err)
	}
	if n := len(rec.Events()); n != 2 {
		t.Fatalf("%d events of the batch dispatched after the failures; want both", n)
	}
	if err := bus.DispatchBatch(ctx, []event.Event{ev("5", "nobody"), ev("6", "conflict")}); errors.Code(err) != 404 {
		t.Fatalf("a batch with two final failures: %v; want the first, coded (404)", err)
	}
	if err := bus.DispatchBatch(ctx, nil); err != nil {
		t.Fatalf("an empty batch: %v", err)
	}
}
