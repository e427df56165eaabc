package http_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/retry"
	"github.com/goxkit/gox/middleware/timeout"
	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/selector"
	xhttp "github.com/goxkit/gox/transport/http"
)

type who struct {
	Name     string        `json:"name"`
	Deadline time.Duration `json:"deadline"` // time left when the request arrived; 0: none
}

// whoInstance starts a gox HTTP server answering GET and POST /who with its
// name, registers it as an instance of service, and returns a func that
// stops the server without deregistering it (a crash, to the registry).
func whoInstance(t *testing.T, reg registry.Registrar, service, name string) func() {
	t.Helper()
	s := loopback(t, xhttp.WithMiddleware(timeout.Timeout(10*time.Second)), xhttp.WithLogger(slog.New(slog.DiscardHandler)))
	h := func(c *xhttp.Context) error {
		var left time.Duration
		if dl, ok := c.Request.Context().Deadline(); ok {
			left = time.Until(dl)
		}
		if d := c.Query("sleep"); d != "" {
			p, _ := time.ParseDuration(d)
			select {
			case <-time.After(p):
			case <-c.Request.Context().Done():
				return c.Request.Context().Err()
			}
		}
		c.JSON(http.StatusOK, who{Name: name, Deadline: left})
		return nil
	}
	s.GET("/who", h)
	s.POST("/who", h)
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	stop := goxtest.Serve(t, s)
	ins := &registry.ServiceInstance{ID: name, Name: service, Endpoints: []string{u.String()}}
	if err := reg.Register(context.Background(), ins); err != nil {
		t.Fatal(err)
	}
	return stop
}

func discoveryClient(t *testing.T, reg registry.Discovery, service string, opts ...xhttp.ClientOption) *xhttp.Client {
	t.Helper()
	c, err := xhttp.NewClient("discovery:///"+service, append([]xhttp.ClientOption{
		xhttp.WithDiscovery(reg, selector.NewRoundRobin()),
		xhttp.WithClientMiddleware(timeout.Client(5*time.Second), retry.Client(retry.WithAttempts(3))),
	}, opts...)...)
	return goxtest.Opened(t, c, err)
}

func TestDiscoveryClientSpreadsAndSurvivesACrash(t *testing.T) {
	reg := registry.NewMemory()
	ctx := context.Background()
	whoInstance(t, reg, "who", "a")
	stopB := whoInstance(t, reg, "who", "b")
	whoInstance(t, reg, "who", "c")
	c := discoveryClient(t, reg, "who")
	got := map[string]int{}
	for range 30 {
		w, err := xhttp.Call[who](ctx, c, http.MethodGet, "/who", nil)
		if err != nil {
			t.Fatal(err)
		}
		got[w.Name]++
	}
	if got["a"] != 10 || got["b"] != 10 || got["c"] != 10 {
		t.Fatalf("30 calls spread %v; want 10 each (round robin)", got)
	}
	stopB() // b dies but stays registered
	for i := range 300 {
		if w, err := xhttp.Call[who](ctx, c, http.MethodGet, "/who", nil); err != nil || w.Name == "b" {
			t.Fatalf("GET %d after b died: %v, %v; want every call answered by a or c (retried)", i, w, err)
		}
	}
	// the client's selector shows it: three instances, b ejected
	var ejected []string
	for _, n := range c.Selector().State() {
		if n.Ejected {
			ejected = append(ejected, n.Instance)
		}
	}
	if len(c.Selector().State()) != 3 || len(ejected) != 1 {
		t.Fatalf("selector state %+v; want 3 instances, b ejected", c.Selector().State())
	}
	// POST is not idempotent: never retried, but b is ejected by now, so
	// POSTs go to a and c
	for i := range 30 {
		if _, err := xhttp.Call[who](ctx, c, http.MethodPost, "/who", map[string]int{"n": i}); err != nil {
			t.Fatalf("POST %d after b was ejected: %v", i, err)
		}
	}
}

func TestDiscoveryClientDoesNotRetryPOST(t *testing.T) {
	reg := registry.NewMemory()
	stop := whoInstance(t, reg, "who", "a")
	whoInstance(t, reg, "who", "b")
	c := discoveryClient(t, reg, "who")
	stop()
	failed := 0
	for range 4 {
		_, err := xhttp.Call[who](context.Background(), c, http.MethodPost, "/who", map[string]string{})
		if err != nil {
			if errors.Reason(err) != xhttp.ReasonUnreachable || errors.Code(err) != 503 {
				t.Fatalf("POST to a dead instance: %v; want 503 %s", err, xhttp.ReasonUnreachable)
			}
			failed++
		}
	}
	// round robin sends every other POST to the dead a, and none is retried
	if failed != 2 {
		t.Fatalf("%d of 4 POSTs failed; want the 2 that went to the dead instance", failed)
	}
}

func TestDiscoveryClientNoInstanceFailsFast(t *testing.T) {
	reg := registry.NewMemory()
	c := discoveryClient(t, reg, "nobody")
	start := time.Now()
	_, err := xhttp.Call[who](context.Background(), c, http.MethodGet, "/who", nil)
	if errors.Code(err) != 503 || errors.Reason(err) != selector.ReasonNoInstance || !strings.Contains(err.Error(), "nobody") {
		t.Fatalf("err = %v; want 503 %s naming the service", err, selector.ReasonNoInstance)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Fatalf("took %v to say there is no instance", d)
	}
}

func TestDiscoveryClientIgnoresAndLogsMalformedEndpoints(t *testing.T) {
	reg := registry.NewMemory()
	whoInstance(t, reg, "who", "good")
	bad := &registry.ServiceInstance{ID: "bad", Name: "who", Endpoints: []string{"http://%zz:1"}}
	if err := reg.Register(context.Background(), bad); err != nil {
		t.Fatal(err)
	}
	var logs syncWriter
	c := discoveryClient(t, reg, "who", xhttp.WithClientLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	for range 5 {
		if w, err := xhttp.Call[who](context.Background(), c, http.MethodGet, "/who", nil); err != nil || w.Name != "good" {
			t.Fatalf("%v %v", w, err)
		}
	}
	if !strings.Contains(logs.String(), "malformed endpoint") || !strings.Contains(logs.String(), "bad: http://%zz:1") {
		t.Fatalf("log %q does not name the malformed endpoint", logs.String())
	}
}

func TestDiscoveryClientPropagatesTheDeadline(t *testing.T) {
	reg := registry.NewMemory()
	whoInstance(t, reg, "who", "a")
	c := discoveryClient(t, reg, "who")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	w, err := xhttp.Call[who](ctx, c, http.MethodGet, "/who", nil)
	if err != nil {
		t.Fatal(err)
	}
	if w.Deadline <= 0 || w.Deadline > 300*time.Millisecond {
		t.Fatalf("the callee had %v left; want the caller's ≤ 300ms, not its own 10s", w.Deadline)
	}
}

// edge calls A with 300ms; A spends ~100ms, then calls B, which sleeps:
// A's log line says how much of the budget edge and A used, and so does edge's.
func TestExpiredCallLogsTheBudgetPerHop(t *testing.T) {
	reg := registry.NewMemory()
	whoInstance(t, reg, "b", "b1")
	var logs syncWriter
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	toB, err := xhttp.NewClient("discovery:///b", xhttp.WithDiscovery(reg, nil),
		xhttp.WithClientMiddleware(timeout.Client(0, timeout.WithService("a"), timeout.WithLogger(logger))))
	if err != nil {
		t.Fatal(err)
	}
	defer toB.Close()
	a := loopback(t, xhttp.WithMiddleware(timeout.Timeout(10*time.Second)), xhttp.WithLogger(slog.New(slog.DiscardHandler)))
	a.GET("/work", func(c *xhttp.Context) error {
		time.Sleep(100 * time.Millisecond)
		_, err := xhttp.Call[who](c.Request.Context(), toB, http.MethodGet, "/who?sleep=2s", nil)
		return err
	})
	u := start(t, a)
	if err := reg.Register(context.Background(), &registry.ServiceInstance{ID: "a1", Name: "a", Endpoints: []string{u}}); err != nil {
		t.Fatal(err)
	}
	toA, err := xhttp.NewClient("discovery:///a", xhttp.WithDiscovery(reg, nil),
		xhttp.WithClientMiddleware(timeout.Client(300*time.Millisecond, timeout.WithService("edge"), timeout.WithLogger(logger))))
	if err != nil {
		t.Fatal(err)
	}
	defer toA.Close()
	_, err = xhttp.Call[who](context.Background(), toA, http.MethodGet, "/work", nil)
	if errors.Code(err) != 504 {
		t.Fatalf("err = %v; want a 504 once edge's 300ms ran out", err)
	}
	var atA, atEdge string
	defer func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	}()
	goxtest.Eventually(t, 2*time.Second, func() bool {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "call deadline exceeded") && strings.Contains(l, "operation=\"GET /who\"") {
				atA = l
			}
			if strings.Contains(l, "call deadline exceeded") && strings.Contains(l, "operation=\"GET /work\"") {
				atEdge = l
			}
		}
		return atA != "" && atEdge != ""
	})
	// A's line: edge had used ~0 of 300ms; A had used ~100ms of the ~300ms it got
	if !regexp.MustCompile(`budget="edge=[0-9.]+[µm]?s/300ms,a=1[0-9][0-9](\.[0-9]+)?ms/(29[0-9]|300)ms,call=[0-9.]+m?s"`).MatchString(atA) {
		t.Fatalf("A logged %q; want the budget of edge then a, then the call's share", atA)
	}
	if !strings.Contains(atEdge, "timeout=300ms") || !strings.Contains(atEdge, `budget="edge=`) {
		t.Fatalf("edge logged %q", atEdge)
	}
}

// syncWriter is a log buffer handlers on other goroutines write to.
type syncWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
