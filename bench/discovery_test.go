package bench

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/goxkit/gox/contrib/prometheus"
	"github.com/goxkit/gox/registry"
	xgrpc "github.com/goxkit/gox/transport/grpc"
)

// BenchmarkDiscoveryUnary calls bare grpc-go servers over loopback TCP from
// parallel goroutines: a direct grpc-go client to one server ("direct")
// against the same calls through gox's discovery:///echo target (registry
// watch, selector, done callbacks) over three instances ("discovery-p2c").
// "discovery-p2c" runs gox's client interceptor with an empty chain: the cost
// of resolving and balancing; "discovery-chain" adds the full client chain.
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
	var runWith func(b *testing.B, conn *grpc.ClientConn, perCall time.Duration)
	req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hello gox")}}
	run := func(b *testing.B, conn *grpc.ClientConn) { runWith(b, conn, 0) }
	runWith = func(b *testing.B, conn *grpc.ClientConn, perCall time.Duration) {
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
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if perCall > 0 {
					ctx, cancel = context.WithTimeout(ctx, perCall)
				}
				_, err := client.UnaryCall(ctx, req)
				cancel()
				if err != nil {
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
	// what a careful grpc-go caller writes: a deadline on every call
	b.Run("direct-timeout", func(b *testing.B) {
		conn, err := grpc.NewClient(first, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		runWith(b, conn, 10*time.Second)
	})
	b.Run("discovery-p2c", func(b *testing.B) {
		conn, err := xgrpc.Dial("discovery:///echo", xgrpc.WithDiscovery(reg, nil))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		run(b, conn)
	})
	// the full client chain a scaffolded service uses: request id,
	// metadata, metrics, access log (JSON, discarded), per-call timeout with
	// the budget header, retries (the method is declared idempotent), and
	// a breaker and ejection per instance
	b.Run("discovery-chain", func(b *testing.B) {
		conn, err := xgrpc.Dial("discovery:///echo", xgrpc.WithDiscovery(reg, nil),
			xgrpc.WithIdempotent("/grpc.testing.TestService/UnaryCall"),
			xgrpc.WithClientMiddleware(ClientChain(Logger(io.Discard), prometheus.New())...))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		run(b, conn)
	})
}
