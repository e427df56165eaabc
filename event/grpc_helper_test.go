package event_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"

	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/eventpb"
	xgrpc "github.com/goxkit/gox/transport/grpc"
)

func eventClient(conn grpc.ClientConnInterface) eventpb.EventServiceClient {
	return eventpb.NewEventServiceClient(conn)
}

// grpcPeer runs a gox gRPC server serving bus and returns a connection to it.
func grpcPeer(t *testing.T, bus *event.Bus) *grpc.ClientConn {
	t.Helper()
	cfg := xgrpc.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	s, err := xgrpc.NewServer(cfg, xgrpc.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	event.RegisterService(s, bus)
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Start(context.Background()) }()
	t.Cleanup(func() { _ = s.Stop(context.Background()); <-done })
	conn, err := xgrpc.Dial(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
