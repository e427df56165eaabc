package event_test

import (
	"context"
	stderrors "errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/goxtest"
)

type payment struct {
	Amount int `json:"amount"`
}

// decodes is a listener that refuses data it cannot read by returning
// DataAs's error as is.
var decodes = event.ListenerFunc(func(_ context.Context, e event.Event) error {
	var p payment
	return e.DataAs(&p)
})

var errDown = stderrors.New("ledger: connection refused")

// What a sender sees of a listener's error says whether to send again: a
// coded 4xx (DataAs's included) is that status with its reason; a plain
// error is a 500 with a reason; when several listeners fail, a retryable
// failure wins over another listener's 4xx.
func TestListenerErrorsTellTheSenderWhetherToRetry(t *testing.T) {
	bus := event.NewBus(event.Listeners{
		"bad.data":   {decodes},
		"conflict":   {event.ListenerFunc(func(context.Context, event.Event) error { return errOutOfStock })},
		"plain":      {event.ListenerFunc(func(context.Context, event.Event) error { return errDown })},
		"mixed":      {event.ListenerFunc(func(context.Context, event.Event) error { return errOutOfStock }), event.ListenerFunc(func(context.Context, event.Event) error { return errDown })},
		"both.final": {decodes, event.ListenerFunc(func(context.Context, event.Event) error { return errOutOfStock })},
	}, event.WithLogger(quiet()))
	httpSender := event.NewHTTPSender(serve(t, bus))
	grpcSender := event.NewGRPCSender(grpcPeer(t, bus))
	cases := []struct {
		typ    string
		code   int
		reason string
	}{
		{"bad.data", 400, event.ReasonInvalidData},
		{"conflict", 409, "OUT_OF_STOCK"},
		{"plain", 500, event.ReasonListenerFailed},
		{"mixed", 500, event.ReasonListenerFailed},
		{"both.final", 400, event.ReasonInvalidData},
	}
	for _, tc := range cases {
		e := event.Event{SpecVersion: "1.0", ID: "1", Source: "/s", Type: tc.typ, DataContentType: "application/json", Data: []byte(`{"amount":"ten"}`)}
		for name, s := range map[string]event.Sender{"http": httpSender, "grpc": grpcSender} {
			err := s.Send(context.Background(), e)
			if errors.Code(err) != tc.code || errors.Reason(err) != tc.reason {
				t.Errorf("%s over %s: code %d reason %q (%v); want %d %s", tc.typ, name, errors.Code(err), errors.Reason(err), err, tc.code, tc.reason)
			}
		}
	}
	// the plain error's text stays on the server in production; the reason crosses
	code, body := post(t, serveProduction(t, bus), http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {"1"}, "Ce-Source": {"/s"}, "Ce-Type": {"plain"}}, "")
	if code != 500 || strings.Contains(body, "connection refused") || !strings.Contains(body, event.ReasonListenerFailed) {
		t.Fatalf("plain listener error in production: %d %s", code, body)
	}
}

// On a queue, a listener's coded 4xx dead-letters the event at once instead
// of retrying what will never be accepted; other errors are retried.
func TestQueueDeadLettersAListenersFinalErrorAtOnce(t *testing.T) {
	b := broker.NewMemory()
	ctx := context.Background()
	var calls atomic.Int32
	bus := event.NewBus(event.Listeners{"bad.data": {event.ListenerFunc(func(ctx context.Context, e event.Event) error {
		calls.Add(1)
		return decodes(ctx, e)
	})}}, event.WithLogger(quiet()))
	c, err := event.NewConsumer(b, "events", bus, broker.ConsumerOptions{Group: "g", Retry: 3, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	defer c.Stop(ctx)
	e := event.Event{SpecVersion: "1.0", ID: "bad-1", Source: "/s", Type: "bad.data", DataContentType: "application/json", Data: []byte(`[1]`)}
	if err := event.NewBrokerSender(b, "events").Send(ctx, e); err != nil {
		t.Fatal(err)
	}
	var letters []broker.DeadLetter
	goxtest.Eventually(t, 10*time.Second, func() bool {
		letters, _ = b.ListDeadLetters(ctx, "events", "g", 0)
		return len(letters) == 1
	})
	if letters[0].Attempts != 1 || calls.Load() != 1 || !strings.Contains(letters[0].Error, event.ReasonInvalidData) {
		t.Fatalf("dead letter %+v after %d calls; want it at once, with the reason", letters[0], calls.Load())
	}
}
