package event_test

import (
	"google.golang.org/grpc"

	"github.com/goxkit/gox/event/eventpb"
)

func eventClient(conn grpc.ClientConnInterface) eventpb.EventServiceClient {
	return eventpb.NewEventServiceClient(conn)
}
