package grpc_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/registry/registrytest"
	xgrpc "github.com/goxkit/gox/transport/grpc"
)

func connsOf(reg registry.Discovery, o registry.ClientsOptions) *registry.Clients[*grpc.ClientConn] {
	return registry.NewClients(func(name string) (*grpc.ClientConn, error) {
		conn, err := xgrpc.Dial("discovery:///"+name, xgrpc.WithDiscovery(reg, nil))
		if err == nil {
			conn.Connect() // resolve now: the watch starts
		}
		return conn, err
	}, o)
}

// Closing a discovery connection ends its watch: 2,000 connections to
// names that have no instance, made and pushed out of a bounded set, leave
// as many goroutines as there were before.
func TestDiscoveryConnsFloodLeavesGoroutinesFlat(t *testing.T) {
	reg := registry.NewMemory()
	registrytest.FloodClients(t, func(name string) (*grpc.ClientConn, error) {
		conn, err := xgrpc.Dial("discovery:///"+name, xgrpc.WithDiscovery(reg, nil))
		if err == nil {
			conn.Connect() // resolve now: the watch starts
		}
		return conn, err
	}, 2000, 8)
}

// A connection pushed out of the set while a call holds it still serves
// that call; it closes when released.
func TestDiscoveryConnHeldWhilePushedOut(t *testing.T) {
	reg := registry.NewMemory()
	echoInstance(t, reg, "echo", "a", "v1")
	set := connsOf(reg, registry.ClientsOptions{MaxSize: 1})
	defer set.Close()
	conn, release, err := set.Get(context.Background(), "echo")
	if err != nil {
		t.Fatal(err)
	}
	_, releaseOther, err := set.Get(context.Background(), "other") // pushes echo out
	if err != nil {
		t.Fatal(err)
	}
	defer releaseOther()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := testpb.NewTestServiceClient(conn).UnaryCall(ctx, &testpb.SimpleRequest{})
	if err != nil || string(resp.GetPayload().GetBody()) != "a" {
		t.Fatalf("a call on a held connection pushed out of the set = %v, %v", resp, err)
	}
	release()
	if s := conn.GetState(); s != connectivity.Shutdown {
		t.Fatalf("a released connection pushed out of the set is %v, want Shutdown", s)
	}
}
