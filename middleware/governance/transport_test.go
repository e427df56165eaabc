package governance_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/governance"
	"github.com/goxkit/gox/middleware/retry"
	"github.com/goxkit/gox/selector"
	xgrpc "github.com/goxkit/gox/transport/grpc"
	xhttp "github.com/goxkit/gox/transport/http"
)

func newGovernor(t *testing.T, c governance.Config, opts ...governance.Option) *governance.Governor {
	t.Helper()
	g, err := governance.New(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	return g
}

// once allows one call of op an hour: the second is refused.
func once(op string) governance.Rule {
	return governance.Rule{Exact: []string{op}, RateLimit: &governance.RateLimit{Rate: governance.Rate{Limit: 1, Per: time.Hour}}}
}

// An HTTP client gox did not write sees a refusal as 429 with a
// Retry-After in whole seconds and the error envelope; a fallback's answer
// as an ordinary 200 JSON reply.
func TestHTTPRefusalAndFallbackOnTheWire(t *testing.T) {
	c := governance.DefaultConfig()
	cached := once("GET /price")
	cached.Fallback = "cached"
	c.Rules = []governance.Rule{once("GET /users/:id"), cached}
	g := newGovernor(t, c, governance.WithFallback("cached", func(context.Context, any, error) (any, error) {
		return map[string]any{"price": 42, "stale": true}, nil
	}))
	hc := xhttp.DefaultConfig()
	hc.Addr = "127.0.0.1:0"
	s, err := xhttp.NewServer(hc, xhttp.WithMiddleware(g.Middleware()))
	if err != nil {
		t.Fatal(err)
	}
	s.GET("/users/:id", func(c *xhttp.Context) error { c.JSON(200, map[string]string{"id": c.Param("id")}); return nil })
	s.GET("/price", func(c *xhttp.Context) error { c.JSON(200, map[string]any{"price": 40}); return nil })
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, s)
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(u.String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	if resp, _ := get("/users/1"); resp.StatusCode != 200 {
		t.Fatalf("first call: %d", resp.StatusCode)
	}
	resp, body := get("/users/2")
	ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	var env struct {
		Code   int    `json:"code"`
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(body, &env)
	if resp.StatusCode != 429 || ra < 3000 || ra > 3600 || env.Reason != governance.ReasonRateLimited || env.Code != 429 {
		t.Fatalf("second call: %d, Retry-After %q, body %s; want 429, about an hour, RATE_LIMITED", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	get("/price")
	resp, body = get("/price")
	var reply map[string]any
	if err := json.Unmarshal(body, &reply); err != nil || resp.StatusCode != 200 || reply["stale"] != true {
		t.Fatalf("degraded call: %d %s; want the fallback's reply", resp.StatusCode, body)
	}
}

type testService struct {
	testpb.UnimplementedTestServiceServer
}

func (testService) UnaryCall(_ context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{Payload: req.GetPayload()}, nil
}

// grpc-go's own client sees a refusal as RESOURCE_EXHAUSTED with a
// standard RetryInfo, and the gox client decodes it back to the 429.
func TestGRPCRefusalOnTheWire(t *testing.T) {
	c := governance.DefaultConfig()
	c.Rules = []governance.Rule{once("/grpc.testing.TestService/UnaryCall")}
	g := newGovernor(t, c)
	gc := xgrpc.DefaultConfig()
	gc.Addr = "127.0.0.1:0"
	srv, err := xgrpc.NewServer(gc, xgrpc.WithMiddleware(g.Middleware()))
	if err != nil {
		t.Fatal(err)
	}
	testpb.RegisterTestServiceServer(srv, testService{})
	if _, err := srv.Endpoint(); err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, srv)
	raw, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	client := testpb.NewTestServiceClient(raw)
	ctx := context.Background()
	if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err = client.UnaryCall(ctx, &testpb.SimpleRequest{})
	st := status.Convert(err)
	var delay time.Duration
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			delay = ri.GetRetryDelay().AsDuration()
		}
	}
	if st.Code() != codes.ResourceExhausted || delay < 50*time.Minute {
		t.Fatalf("second call: %v, retry delay %v; want RESOURCE_EXHAUSTED and about an hour", st, delay)
	}
	if e := errors.FromError(xgrpc.FromStatus(err)); e.Code != 429 || e.Reason != governance.ReasonRateLimited {
		t.Fatalf("decoded %+v", e)
	}
}

// What the gox clients make of governance's refusals: a shed or full
// bulkhead counts against the instance in the client's breaker (so a client
// backs off an overloaded instance by itself) and may be retried elsewhere
// within the retry budget, after its Retry-After; a rate limit is the
// caller's own doing: neither a breaker failure nor retried.
func TestClientsTreatRefusalsAsOverload(t *testing.T) {
	shed := errors.Unavailable(governance.ReasonOverloaded, "overloaded").WithRetryAfter(time.Second)
	full := errors.Unavailable(governance.ReasonConcurrencyLimited, "full").WithRetryAfter(time.Second)
	limited := errors.TooManyRequests(governance.ReasonRateLimited, "slow down").WithRetryAfter(time.Second)
	for _, c := range []struct {
		err              error
		breaker, retried bool
	}{{shed, true, true}, {full, true, true}, {limited, false, false}} {
		if got := selector.ServerFailure(c.err); got != c.breaker {
			t.Errorf("%s: breaker failure %v, want %v", errors.Reason(c.err), got, c.breaker)
		}
		if got := retry.Transient(c.err); got != c.retried {
			t.Errorf("%s: retried %v, want %v", errors.Reason(c.err), got, c.retried)
		}
	}
}
