package eventhttp_test

import (
	"context"
	stderrors "errors"
	"net/http"
	"strings"
	"testing"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/eventgrpc"
	"github.com/goxkit/gox/event/eventhttp"
	"github.com/goxkit/gox/event/internal/eventtest"
	xhttp "github.com/goxkit/gox/transport/http"
)

var errDown = stderrors.New("ledger: connection refused")

// What a sender sees of a listener's error says whether to send again: a
// coded 4xx (DataAs's included) is that status with its reason; a plain
// error is a 500 with a reason; when several listeners fail, a retryable
// failure wins over another listener's 4xx.
func TestListenerErrorsTellTheSenderWhetherToRetry(t *testing.T) {
	bus := event.NewBus(event.Listeners{
		"bad.data":   {eventtest.Decodes},
		"conflict":   {event.ListenerFunc(func(context.Context, event.Event) error { return eventtest.ErrOutOfStock })},
		"plain":      {event.ListenerFunc(func(context.Context, event.Event) error { return errDown })},
		"mixed":      {event.ListenerFunc(func(context.Context, event.Event) error { return eventtest.ErrOutOfStock }), event.ListenerFunc(func(context.Context, event.Event) error { return errDown })},
		"both.final": {eventtest.Decodes, event.ListenerFunc(func(context.Context, event.Event) error { return eventtest.ErrOutOfStock })},
	}, event.WithLogger(eventtest.Quiet()))
	httpSender := eventhttp.NewSender(eventtest.Serve(t, bus))
	grpcSender := eventgrpc.NewSender(eventtest.GRPCPeer(t, bus))
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
	code, body := eventtest.Post(t, eventtest.Serve(t, bus, xhttp.WithProduction(true)), http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {"1"}, "Ce-Source": {"/s"}, "Ce-Type": {"plain"}}, "")
	if code != 500 || strings.Contains(body, "connection refused") || !strings.Contains(body, event.ReasonListenerFailed) {
		t.Fatalf("plain listener error in production: %d %s", code, body)
	}
}
