package eventgrpc_test

import (
	"context"
	stderrors "errors"
	"strings"
	"testing"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/eventgrpc"
	"github.com/goxkit/gox/event/eventpb"
	"github.com/goxkit/gox/event/internal/eventtest"
)

// The sender reaches the listeners of a peer's EventService and gets their
// error back; a raw client's invalid event is InvalidArgument naming the
// attribute, an unknown type NotFound with UnknownReject.
func TestServiceAndSender(t *testing.T) {
	rec := &eventtest.Recorder{}
	bus := event.NewBus(event.Listeners{"com.example.order.created": {rec}, "com.example.fails": {&eventtest.Recorder{Fail: eventtest.ErrOutOfStock}}},
		event.WithUnknown(event.UnknownReject), event.WithLogger(eventtest.Quiet()))
	conn := eventtest.GRPCPeer(t, bus)
	sender := eventgrpc.NewSender(conn)
	ctx := context.Background()
	want := eventtest.Sample(t)
	if err := sender.Send(ctx, want); err != nil {
		t.Fatal(err)
	}
	if seen := rec.Events(); len(seen) != 1 {
		t.Fatalf("%d events seen", len(seen))
	} else {
		eventtest.Same(t, seen[0], want)
	}
	// a raw client that skips validation gets InvalidArgument naming the attribute
	bad := eventgrpc.ToProto(want)
	bad.Source = ""
	_, err := eventpb.NewEventServiceClient(conn).Send(ctx, bad)
	if errors.Code(err) != 400 || !strings.Contains(err.Error(), "attribute source: missing") {
		t.Fatalf("missing source over gRPC: %v", err)
	}
	fails := eventtest.Sample(t)
	fails.Type = "com.example.fails"
	if err := sender.Send(ctx, fails); !stderrors.Is(err, eventtest.ErrOutOfStock) {
		t.Fatalf("listener error over gRPC: %v", err)
	}
	fails.Type = "com.example.unknown"
	if err := sender.Send(ctx, fails); errors.Code(err) != 404 {
		t.Fatalf("unknown type over gRPC: %v", err)
	}
}
