// Package eventgrpc is the event bus over gRPC: Register serves the bus as
// gox.event.v1.EventService on a gRPC server, Sender calls a peer's
// EventService, and ToProto and FromProto are the CloudEvents Protobuf
// format the service carries (the generated types are package eventpb).
// Package event itself imports no gRPC; this package is what brings it in,
// for services that serve or send events over gRPC.
//
//	eventgrpc.Register(grpcServer, bus)
//	err := eventgrpc.NewSender(conn).Send(ctx, e)
package eventgrpc

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/eventpb"
)

// Register serves the event bus on a gRPC server (a gox transport/grpc
// Server is a grpc.ServiceRegistrar): EventService.Send dispatches to bus and
// answers once the listeners returned. The server's chain (and its error
// mapping: 400 → InvalidArgument, 404 → NotFound) runs around it.
func Register(s grpc.ServiceRegistrar, bus *event.Bus) {
	eventpb.RegisterEventServiceServer(s, &service{bus: bus})
}

type service struct {
	eventpb.UnimplementedEventServiceServer
	bus *event.Bus
}

func (s *service) Send(ctx context.Context, in *eventpb.CloudEvent) (*emptypb.Empty, error) {
	e, err := FromProto(in)
	if err == nil {
		err = s.bus.Dispatch(ctx, e)
	}
	if err != nil {
		return nil, event.Coded(err)
	}
	return &emptypb.Empty{}, nil
}

// Sender sends events to a peer's EventService, synchronously: Send returns
// the listeners' outcome as a coded error.
type Sender struct{ c eventpb.EventServiceClient }

var _ event.Sender = (*Sender)(nil)

// NewSender sends over conn (from transport/grpc Dial: the client chain and
// deadline propagation apply).
func NewSender(conn grpc.ClientConnInterface) *Sender {
	return &Sender{c: eventpb.NewEventServiceClient(conn)}
}

// Send implements event.Sender.
func (s *Sender) Send(ctx context.Context, e event.Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if _, err := s.c.Send(ctx, ToProto(e)); err != nil {
		return fmt.Errorf("event %s (%s): send over gRPC: %w", e.Type, e.ID, err)
	}
	return nil
}
