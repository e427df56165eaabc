package bench

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/goxkit/gox/registry"
	xgrpc "github.com/goxkit/gox/transport/grpc"
)

// BenchmarkDiscoveryUnary calls bare grpc-go servers over loopback TCP from
// parallel goroutines: a direct grpc-go client to one server ("direct")
// against the same calls through gox's discovery:///echo target (registry
// watch, selector, done callbacks) over three instances ("discovery-p2c").
// gox's client interceptor runs with an empty chain, so this is the cost of
// resolving and balancing.
func BenchmarkDiscoveryUnary(b *testing.B) {
	reg := registry.NewMemory()
	var first string
	for i := range 3 {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		s := GRPC()
		go s.Serve(lis)
		defer s.Stop()
		if i == 0 {
			first = lis.Addr().String()
		}
		ins := &registry.ServiceInstance{ID: lis.Addr().String(), Name: "echo", Endpoints: []string{"grpc://" + lis.Addr().String()}}
		if err := reg.Register(context.Background(), ins); err != nil {
			b.Fatal(err)
		}
	}
	req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hello gox")}}
	run := func(b *testing.B, conn *grpc.ClientConn) {
		client := testpb.NewTestServiceClient(conn)
		for range 100 { // connections up
			if _, err := client.UnaryCall(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := client.UnaryCall(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("direct", func(b *testing.B) {
		conn, err := grpc.NewClient(first, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		run(b, conn)
	})
	b.Run("discovery-p2c", func(b *testing.B) {
		conn, err := xgrpc.Dial("discovery:///echo", xgrpc.WithDiscovery(reg, nil))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		run(b, conn)
	})
}
