package consul_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/goxkit/gox/contrib/registry/consul"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/registry/registrytest"
)

const hint = "build tools/consul (ci/tools.sh build_tools), then: source ci/lib.sh; source ci/consul.sh; start_consul"

func newRegistry(t *testing.T, c consul.Config, opts ...consul.Option) *consul.Registry {
	t.Helper()
	r, err := consul.Open(c, opts...)
	return goxtest.Opened(t, r, err)
}

func agent(t *testing.T) string { return goxtest.RequireEnv(t, "CONSUL_HTTP_ADDR", hint) }

func svcName(t *testing.T) string {
	return strings.ToLower(fmt.Sprintf("%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano()%1e9))
}

func TestContract(t *testing.T) {
	addr := agent(t)
	registrytest.Run(t, func(t *testing.T) registry.Registry {
		return newRegistry(t, consul.Config{Address: addr, WaitTime: 2 * time.Second})
	}, registrytest.Options{Within: 5 * time.Second})
}

func instance(svc, id, endpoint string) *registry.ServiceInstance {
	return &registry.ServiceInstance{ID: id, Name: svc, Version: "v1", Endpoints: []string{endpoint}}
}

func eventuallyIDs(t *testing.T, d registry.Discovery, svc, want string, within time.Duration) {
	t.Helper()
	var got string
	goxtest.Eventually(t, within, func() bool {
		set, err := d.GetService(context.Background(), svc)
		got = registrytest.IDs(set)
		return err == nil && got == want
	})
}

// A process that dies stops passing its TTL check: its instance leaves
// discovery within the TTL.
func TestCrashedInstanceLeavesWithinTTL(t *testing.T) {
	c := consul.Config{Address: agent(t), CheckTTL: 2 * time.Second}
	crashed, d := newRegistry(t, c), newRegistry(t, c)
	svc, ctx := svcName(t), context.Background()
	ins := instance(svc, svc+"-a", "http://127.0.0.1:1")
	if err := crashed.Register(ctx, ins); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Deregister(ctx, ins) })
	eventuallyIDs(t, d, svc, ins.ID, 3*time.Second)
	time.Sleep(3 * time.Second) // alive past the TTL: the updates keep it
	eventuallyIDs(t, d, svc, ins.ID, time.Second)
	_ = crashed.Close() // no more TTL updates, no deregistration: a crash
	start := time.Now()
	eventuallyIDs(t, d, svc, "", 5*time.Second)
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("the crashed instance stayed %v; TTL is 2s", took)
	}
}

// With check http the agent probes GET /readyz: an instance that stops
// being ready leaves discovery and comes back when it is ready again.
func TestHTTPCheck(t *testing.T) {
	var ready atomic.Bool
	ready.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	r := newRegistry(t, consul.Config{Address: agent(t), Check: "http", CheckInterval: 500 * time.Millisecond})
	svc, ctx := svcName(t), context.Background()
	ins := instance(svc, svc+"-a", srv.URL)
	if err := r.Register(ctx, ins); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Deregister(ctx, ins) })
	eventuallyIDs(t, r, svc, ins.ID, 3*time.Second)
	ready.Store(false)
	eventuallyIDs(t, r, svc, "", 5*time.Second)
	ready.Store(true)
	eventuallyIDs(t, r, svc, ins.ID, 5*time.Second)
}

// With check grpc the agent asks the standard gRPC health service.
func TestGRPCCheck(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := health.NewServer()
	gs := grpc.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()
	r := newRegistry(t, consul.Config{Address: agent(t), Check: "grpc", CheckInterval: 500 * time.Millisecond})
	svc, ctx := svcName(t), context.Background()
	ins := instance(svc, svc+"-a", "grpc://"+lis.Addr().String())
	if err := r.Register(ctx, ins); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Deregister(ctx, ins) })
	eventuallyIDs(t, r, svc, ins.ID, 3*time.Second)
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	eventuallyIDs(t, r, svc, "", 5*time.Second)
}

// Services registered by others: one with only an address and a port is
// an http endpoint; one whose tagged address is not usable is skipped and
// logged.
func TestForeignAndMalformedServices(t *testing.T) {
	var buf goxtest.LogBuffer
	r := newRegistry(t, consul.Config{Address: agent(t)}, consul.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	svc, ctx := svcName(t), context.Background()
	for _, reg := range []*api.AgentServiceRegistration{
		{ID: svc + "-plain", Name: svc, Address: "127.0.0.1", Port: 7001},
		{ID: svc + "-kratos", Name: svc, Address: "127.0.0.1", Port: 7002,
			TaggedAddresses: map[string]api.ServiceAddress{"grpc": {Address: "grpc://127.0.0.1:7002", Port: 7002}}},
		{ID: svc + "-bad", Name: svc, TaggedAddresses: map[string]api.ServiceAddress{"grpc": {Address: "not a host/", Port: 0}}},
	} {
		if err := r.Client().Agent().ServiceRegister(reg); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Client().Agent().ServiceDeregister(reg.ID) })
	}
	set, err := r.GetService(ctx, svc)
	if err != nil || registrytest.IDs(set) != svc+"-kratos,"+svc+"-plain" {
		t.Fatalf("GetService = [%s], %v", registrytest.IDs(set), err)
	}
	for _, s := range set {
		want := map[string]string{svc + "-plain": "http://127.0.0.1:7001", svc + "-kratos": "grpc://127.0.0.1:7002"}[s.ID]
		if len(s.Endpoints) != 1 || s.Endpoints[0] != want {
			t.Fatalf("%s came back with endpoints %v; want [%s]", s.ID, s.Endpoints, want)
		}
	}
	if !strings.Contains(buf.String(), "malformed") || !strings.Contains(buf.String(), svc+"-bad") {
		t.Fatalf("the malformed service was not logged:\n%s", buf.String())
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		c    consul.Config
		want string
	}{
		{consul.Config{Check: "tcp"}, `check "tcp": want ttl, http or grpc`},
		{consul.Config{CheckTTL: 500 * time.Millisecond}, "below the 1s minimum"},
	} {
		if _, err := consul.Open(tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%+v) = %v; want %q", tc.c, err, tc.want)
		}
	}
	r := newRegistry(t, consul.Config{Address: "127.0.0.1:1"})
	h := newRegistry(t, consul.Config{Address: "127.0.0.1:1", Check: "http"})
	for _, tc := range []struct {
		r    *consul.Registry
		ins  *registry.ServiceInstance
		want string
	}{
		{r, &registry.ServiceInstance{ID: "a", Name: "s", Endpoints: []string{"http://h:1"}, Metadata: map[string]string{"a.b": "x"}}, `metadata key "a.b"`},
		{r, &registry.ServiceInstance{ID: "a", Name: "s", Endpoints: []string{"http://h:1"}, Metadata: map[string]string{"k": strings.Repeat("x", 600)}}, `metadata "k" is 600 bytes`},
		{r, &registry.ServiceInstance{ID: "a", Name: "s", Endpoints: []string{"http://h:1", "http://h:2"}}, "two http endpoints"},
		{r, &registry.ServiceInstance{ID: "a", Name: "s", Endpoints: []string{"http://h"}}, `endpoint "http://h" has no port`},
		{h, &registry.ServiceInstance{ID: "a", Name: "s", Endpoints: []string{"grpc://h:1"}}, "check is http but it has no http:// endpoint"},
	} {
		if err := tc.r.Register(context.Background(), tc.ins); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Register(%+v) = %v; want %q", tc.ins, err, tc.want)
		}
	}
}

// consulAgent runs a private dev agent with its HTTP API on httpPort; stop
// sends SIGTERM and waits. A dev agent keeps everything in memory: a
// restart is an empty agent.
func consulAgent(t *testing.T, httpPort int) (stop func()) {
	t.Helper()
	bin := goxtest.RequireBinary(t, "consul", hint)
	ports := goxtest.FreePorts(t, 3, httpPort)
	args := []string{"agent", "-dev", "-node", "t", "-bind", "127.0.0.1", "-client", "127.0.0.1", "-advertise", "127.0.0.1",
		"-http-port", fmt.Sprint(httpPort), "-dns-port", "-1", "-grpc-port", "-1", "-grpc-tls-port", "-1",
		"-server-port", fmt.Sprint(ports[0]), "-serf-lan-port", fmt.Sprint(ports[1]), "-serf-wan-port", fmt.Sprint(ports[2]),
		"-log-level", "error", "-disable-host-node-id"}
	cmd := exec.Command(bin, args...)
	c, _ := api.NewClient(&api.Config{Address: fmt.Sprintf("127.0.0.1:%d", httpPort)})
	return goxtest.StartServer(t, cmd, 30*time.Second, func() bool {
		leader, err := c.Status().Leader()
		return err == nil && leader != ""
	})
}

// TestAgentRestarted restarts the agent (empty: a dev agent keeps nothing)
// while two services are registered through keepers and a third process
// watches: both register again, the keepers report the outage and the
// recovery, and the watch follows changes made afterwards — no service is
// restarted.
func TestAgentRestarted(t *testing.T) {
	port := goxtest.FreePort(t)
	stop := consulAgent(t, port)
	// WaitTime is the default minute: a watch must not sit out a blocking
	// query at an index from before the restart
	c := consul.Config{Address: fmt.Sprintf("127.0.0.1:%d", port), CheckTTL: 3 * time.Second}
	svc, ctx := svcName(t), context.Background()
	var keepers []*registry.Keeper
	for i, id := range []string{"a", "b"} {
		k := registry.NewKeeper(newRegistry(t, c), registry.KeeperOptions{Refresh: time.Hour, MaxBackoff: 500 * time.Millisecond})
		ins := instance(svc, id, fmt.Sprintf("http://127.0.0.1:%d", 8000+i))
		if err := k.Register(ctx, ins); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = k.Deregister(ctx, ins) })
		keepers = append(keepers, k)
	}
	watcher := newRegistry(t, c)
	w, err := watcher.Watch(ctx, svc)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	seen := registrytest.Follow(t, w)
	seen.Wait("a,b", 5*time.Second)

	stop()
	time.Sleep(time.Second)
	start := time.Now()
	consulAgent(t, port)
	eventuallyIDs(t, watcher, svc, "a,b", 15*time.Second)
	t.Logf("both instances registered again %v after the agent came back", time.Since(start).Round(time.Millisecond))
	seen.Drain()
	if err := keepers[0].Deregister(ctx, instance(svc, "a", "http://127.0.0.1:8000")); err != nil {
		t.Fatal(err)
	}
	seen.Wait("b", 5*time.Second)
	r3 := newRegistry(t, c)
	if err := r3.Register(ctx, instance(svc, "c", "http://127.0.0.1:8002")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r3.Deregister(ctx, instance(svc, "c", "http://127.0.0.1:8002")) })
	seen.Wait("b,c", 5*time.Second)
}

// An agent that is down when the service starts: a keeper starts it
// degraded, saying so, and registers it once the agent is up; a required
// registry fails the start naming the agent.
func TestUnreachableAtStart(t *testing.T) {
	port := goxtest.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := consul.Config{Address: addr}
	ctx := context.Background()
	ins := instance("orders", "a", "http://127.0.0.1:1")

	required := registry.NewKeeper(newRegistry(t, c), registry.KeeperOptions{Required: true})
	if err := required.Register(ctx, ins); err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("required registration with the agent down: %v; want an error naming %s", err, addr)
	}
	var buf goxtest.LogBuffer
	k := registry.NewKeeper(newRegistry(t, c), registry.KeeperOptions{Refresh: 200 * time.Millisecond,
		MaxBackoff: 300 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err := k.Register(ctx, ins); err != nil {
		t.Fatalf("degraded start: %v", err)
	}
	t.Cleanup(func() { _ = k.Deregister(ctx, ins) })
	if k.Healthy() || !strings.Contains(buf.String(), "degraded") {
		t.Fatalf("healthy=%v with the agent down; log:\n%s", k.Healthy(), buf.String())
	}
	consulAgent(t, port)
	goxtest.Eventually(t, 10*time.Second, k.Healthy)
	eventuallyIDs(t, newRegistry(t, c), "orders", "a", 5*time.Second)
}

// New takes an API client the caller made: the registry works through it,
// and Close leaves it usable.
func TestNewOnTheCallersClient(t *testing.T) {
	ac := api.DefaultConfig()
	ac.Address = agent(t)
	cli, err := api.NewClient(ac)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Transport.CloseIdleConnections() // the caller's to close
	if _, err := consul.New(nil); err == nil || !strings.Contains(err.Error(), "client is nil") {
		t.Fatalf("New(nil) = %v; want an error naming the client", err)
	}
	r, err := consul.New(cli)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svc := svcName(t)
	ins := instance(svc, "own-1", "http://127.0.0.1:8080")
	if err := r.Register(ctx, ins); err != nil {
		t.Fatal(err)
	}
	if set, err := r.GetService(ctx, svc); err != nil || registrytest.IDs(set) != "own-1" {
		t.Fatalf("GetService = [%s], %v; want own-1", registrytest.IDs(set), err)
	}
	_ = r.Deregister(ctx, ins)
	_ = r.Close()
	if _, err := cli.Agent().Self(); err != nil {
		t.Fatalf("the caller's client after Close: %v; want it usable", err)
	}
}
