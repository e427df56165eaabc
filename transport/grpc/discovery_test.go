package grpc_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/retry"
	"github.com/goxkit/gox/middleware/timeout"
	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/selector"
	xgrpc "github.com/goxkit/gox/transport/grpc"
)

// named answers UnaryCall with its own name.
type named struct {
	testpb.UnimplementedTestServiceServer
	name string
}

func (n named) UnaryCall(context.Context, *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{Payload: &testpb.Payload{Body: []byte(n.name)}}, nil
}

// echoInstance starts a gox gRPC server answering with name and registers
// it in reg as an instance of service.
func echoInstance(t *testing.T, reg registry.Registrar, service, name, version string) *registry.ServiceInstance {
	t.Helper()
	ins, _ := stoppableInstance(t, reg, service, name, version)
	return ins
}

// stoppableInstance is echoInstance with a func that stops the server
// without deregistering it (a crash, to the registry).
func stoppableInstance(t *testing.T, reg registry.Registrar, service, name, version string) (*registry.ServiceInstance, func()) {
	t.Helper()
	c := xgrpc.DefaultConfig()
	c.Addr = "127.0.0.1:0"
	s, err := xgrpc.NewServer(c, xgrpc.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	testpb.RegisterTestServiceServer(s, named{name: name})
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	stop := goxtest.Serve(t, s)
	ins := &registry.ServiceInstance{ID: name, Name: service, Version: version, Endpoints: []string{"http://127.0.0.1:1", u.String()}}
	if err := reg.Register(context.Background(), ins); err != nil {
		t.Fatal(err)
	}
	return ins, stop
}

// dialEcho is a TestService client on a connection to target, closed when
// the test ends.
func dialEcho(t *testing.T, target string, opts ...xgrpc.ClientOption) testpb.TestServiceClient {
	t.Helper()
	conn, err := xgrpc.Dial(target, opts...)
	return testpb.NewTestServiceClient(goxtest.Opened(t, conn, err))
}

func TestDiscoveryTarget(t *testing.T) {
	reg := registry.NewMemory()
	ctx := context.Background()
	a := echoInstance(t, reg, "echo", "a", "v1")
	echoInstance(t, reg, "echo", "b", "v1")
	echoInstance(t, reg, "echo", "c", "v2")
	var sel atomic.Pointer[selector.Selector]
	client := dialEcho(t, "discovery:///echo", xgrpc.WithDiscovery(reg, selector.NewRoundRobin(), selector.WithVersion("v1")),
		xgrpc.OnSelector(sel.Store))
	count := func(n int) map[string]int {
		got := map[string]int{}
		for range n {
			r, err := client.UnaryCall(ctx, &testpb.SimpleRequest{})
			if err != nil {
				t.Fatal(err)
			}
			got[string(r.GetPayload().GetBody())]++
		}
		return got
	}
	// the connections come up one by one: wait until both v1 instances answer
	goxtest.Eventually(t, 10*time.Second, func() bool { got := count(10); return got["a"] > 0 && got["b"] > 0 })
	if got := count(100); got["a"] != 50 || got["b"] != 50 || got["c"] != 0 {
		t.Fatalf("calls spread %v; want a and b 50 each (round robin), none to c (v2 is filtered out)", got)
	}
	// OnSelector handed over the selector that spread them: it shows the
	// instances and what each was sent
	sent := map[string]int64{}
	for _, n := range sel.Load().State() {
		sent[n.Instance] = n.Requests
	}
	if len(sent) != 3 || sent["a"] < 50 || sent["b"] < 50 || sent["c"] != 0 {
		t.Fatalf("selector state %+v; want a and b with their calls counted, c with none", sel.Load().State())
	}
	// an instance that leaves gets no more calls
	if err := reg.Deregister(ctx, a); err != nil {
		t.Fatal(err)
	}
	goxtest.Eventually(t, 10*time.Second, func() bool { return count(10)["a"] == 0 })
	if got := count(50); got["b"] != 50 {
		t.Fatalf("after a left: %v", got)
	}
}

// A service with no instance fails at once with Unavailable naming it;
// when an instance appears, calls succeed without a new connection.
func TestDiscoveryNoInstance(t *testing.T) {
	reg := registry.NewMemory()
	client := dialEcho(t, "discovery:///billing", xgrpc.WithDiscovery(reg, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := client.UnaryCall(ctx, &testpb.SimpleRequest{})
	if !errors.IsUnavailable(err) || !strings.Contains(err.Error(), "service billing has no instance") {
		t.Fatalf("call with no instance: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("it took %v to fail; want at once", d)
	}
	echoInstance(t, reg, "billing", "x", "v1")
	goxtest.Eventually(t, 10*time.Second, func() bool {
		r, err := client.UnaryCall(ctx, &testpb.SimpleRequest{})
		return err == nil && string(r.GetPayload().GetBody()) == "x"
	})
}

// The default balancer (P2C) sees every ready instance: under concurrent
// load each gets calls.
func TestDiscoveryP2C(t *testing.T) {
	reg := registry.NewMemory()
	for _, n := range []string{"a", "b", "c"} {
		echoInstance(t, reg, "echo", n, "v1")
	}
	client := dialEcho(t, "discovery:///echo", xgrpc.WithDiscovery(reg, nil))
	var mu sync.Mutex
	got := map[string]int{}
	goxtest.Eventually(t, 10*time.Second, func() bool {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 50 {
					r, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					got[string(r.GetPayload().GetBody())]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return got["a"] > 0 && got["b"] > 0 && got["c"] > 0
	})
}

// An idempotent method is retried on another instance: with one of three
// instances gone (still registered), every call succeeds.
func TestDiscoveryRetriesIdempotentCalls(t *testing.T) {
	reg := registry.NewMemory()
	echoInstance(t, reg, "echo", "a", "v1")
	_, stopB := stoppableInstance(t, reg, "echo", "b", "v1")
	echoInstance(t, reg, "echo", "c", "v1")
	client := dialEcho(t, "discovery:///echo", xgrpc.WithDiscovery(reg, selector.NewRoundRobin()),
		xgrpc.WithIdempotent("/grpc.testing.TestService/UnaryCall"),
		xgrpc.WithClientMiddleware(timeout.Client(5*time.Second), retry.Client()))
	ctx := context.Background()
	seen := map[string]bool{}
	goxtest.Eventually(t, 10*time.Second, func() bool {
		r, err := client.UnaryCall(ctx, &testpb.SimpleRequest{})
		if err == nil {
			seen[string(r.GetPayload().GetBody())] = true
		}
		return len(seen) == 3
	})
	stopB()
	for i := range 300 {
		r, err := client.UnaryCall(ctx, &testpb.SimpleRequest{})
		if err != nil {
			t.Fatalf("call %d after b stopped: %v", i, err)
		}
		if i > 50 && string(r.GetPayload().GetBody()) == "b" {
			t.Fatalf("call %d answered by the stopped b", i)
		}
	}
}

// When the breaker of every instance is open, a call fails at once with
// Unavailable CIRCUIT_OPEN instead of waiting for a connection.
func TestDiscoveryAllBreakersOpenFailsFast(t *testing.T) {
	reg := registry.NewMemory()
	echoInstance(t, reg, "echo", "a", "v1")
	client := dialEcho(t, "discovery:///echo", xgrpc.WithDiscovery(reg, nil),
		xgrpc.WithInstanceHealth(selector.InstanceHealth{ConsecutiveFailures: -1,
			Failed: func(err error) bool { return true }})) // every call counts as a failure
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 2000 {
		start := time.Now()
		_, err := client.UnaryCall(ctx, &testpb.SimpleRequest{})
		if err == nil {
			continue
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("an all-open breaker took %v to fail the call", d)
		}
		if !errors.IsUnavailable(err) || !strings.Contains(err.Error(), "service echo: the circuit breaker of every instance") {
			t.Fatalf("call %d: %v; want Unavailable naming the service and the open breakers", i, err)
		}
		return
	}
	t.Fatal("2000 calls all counted as failures and no breaker opened")
}
