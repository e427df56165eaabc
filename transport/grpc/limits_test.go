package grpc_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	testpb "google.golang.org/grpc/interop/grpc_testing"

	xgrpc "github.com/goxkit/gox/transport/grpc"
)

// gateService holds each UnaryCall until the test lets one go, counting the
// handlers running at once.
type gateService struct {
	testpb.UnimplementedTestServiceServer
	entered     chan struct{}
	release     chan struct{}
	running, hi atomic.Int32
}

func (s *gateService) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	n := s.running.Add(1)
	defer s.running.Add(-1)
	for {
		if h := s.hi.Load(); n <= h || s.hi.CompareAndSwap(h, n) {
			break
		}
	}
	s.entered <- struct{}{}
	select {
	case <-s.release:
	case <-ctx.Done():
	}
	return &testpb.SimpleResponse{}, nil
}

// With max_concurrent_streams set, calls beyond it on one connection wait
// for a stream to end instead of running: the server never runs more
// handlers at once than the limit, and every call still succeeds.
func TestMaxConcurrentStreamsBoundsOneConnection(t *testing.T) {
	const limit, calls = 4, 12
	c := xgrpc.DefaultConfig()
	c.MaxConcurrentStreams = limit
	svc := &gateService{entered: make(chan struct{}, calls), release: make(chan struct{})}
	_, conn := serveTest(t, c, svc, nil) // one connection for every call
	client := testpb.NewTestServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for range calls {
		wg.Go(func() {
			if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
				errs <- err
			}
		})
	}
	// Each call let go makes room for exactly one more.
	for i := range calls {
		<-svc.entered
		if got := svc.hi.Load(); got > limit {
			t.Fatalf("after %d calls entered, %d handlers ran at once; the limit is %d", i+1, got, limit)
		}
		if i >= limit-1 {
			svc.release <- struct{}{}
		}
	}
	for range limit - 1 {
		svc.release <- struct{}{}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a call over the limit failed instead of waiting: %v", err)
	}
	if got := svc.hi.Load(); got != limit {
		t.Fatalf("at most %d handlers ran at once, want the limit %d", got, limit)
	}
}

// Unset limits take gox's bounded defaults, not grpc-go's unlimited ones.
func TestLimitDefaults(t *testing.T) {
	c := xgrpc.DefaultConfig()
	if c.MaxConcurrentStreams != xgrpc.DefaultMaxConcurrentStreams || c.MaxConcurrentStreams == 0 || c.MaxHeaderListBytes != 1<<20 {
		t.Fatalf("defaults: %+v", c)
	}
}

// A limit the server cannot honour fails NewServer with the key named.
func TestConfigValidationNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		key string
		mut func(*xgrpc.Config)
	}{
		{"grpc: initial_window_bytes: 1000 is under", func(c *xgrpc.Config) { c.InitialWindowBytes = 1000 }},
		{"grpc: initial_conn_window_bytes: 65535 is under", func(c *xgrpc.Config) { c.InitialConnWindowBytes = 65535 }},
		{"grpc: max_recv_msg_bytes: -1 is negative", func(c *xgrpc.Config) { c.MaxRecvMsgBytes = -1 }},
		{"grpc: max_send_msg_bytes: -2 is negative", func(c *xgrpc.Config) { c.MaxSendMsgBytes = -2 }},
		{"grpc: keepalive.max_connection_idle: -1s is negative", func(c *xgrpc.Config) { c.Keepalive.MaxConnectionIdle = -time.Second }},
	} {
		c := xgrpc.DefaultConfig()
		c.Addr = "127.0.0.1:0"
		tc.mut(&c)
		if _, err := xgrpc.NewServer(c); err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("err = %v, want it to say %q", err, tc.key)
		}
	}
	c := xgrpc.DefaultConfig()
	c.Addr = "127.0.0.1:0"
	c.InitialWindowBytes, c.InitialConnWindowBytes, c.NumStreamWorkers = 1<<20, 4<<20, 2
	s, err := xgrpc.NewServer(c)
	if err != nil {
		t.Fatalf("valid limits refused: %v", err)
	}
	_ = s.Stop(context.Background()) // the stream workers

}
