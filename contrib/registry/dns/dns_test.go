package dns_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/contrib/registry/dns"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/registry/registrytest"
	"github.com/goxkit/gox/selector"
	xhttp "github.com/goxkit/gox/transport/http"
)

const domain = "ns.svc.test"

func newDiscovery(t *testing.T, z *zone, c dns.Config, opts ...dns.Option) *dns.Discovery {
	t.Helper()
	c.Server, c.Domain = z.addr(), domain
	if c.Refresh == 0 {
		c.Refresh = 50 * time.Millisecond
	}
	d, err := dns.Open(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The discovery contract, with instances published as a headless
// Service's records: an SRV record per named port and pod, and an A record
// per pod.
func TestContract(t *testing.T) {
	z := newZone(t)
	d := newDiscovery(t, z, dns.Config{})
	registrytest.RunDiscovery(t, d, func(t *testing.T, svc string, set []*registry.ServiceInstance) {
		var recs []srvData
		for _, ins := range set {
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(ins.Endpoint("http"), "http://"))
			p, _ := strconv.Atoi(port)
			target := ins.ID + "." + svc + "." + domain
			z.setA(target, "127.0.0.1")
			recs = append(recs, srvData{target, uint16(p)})
		}
		z.setSRV("_http._tcp."+svc+"."+domain, recs...)
	}, registrytest.Options{Within: 3 * time.Second})
}

// A pod with an http and a grpc port is one instance with both endpoints,
// at its address.
func TestSRVPerNamedPort(t *testing.T) {
	z := newZone(t)
	for i, ip := range []string{"10.0.0.7", "10.0.0.8"} {
		z.setA(fmt.Sprintf("users-%d.users.%s", i, domain), ip)
	}
	z.setSRV("_http._tcp.users."+domain, srvData{"users-0.users." + domain, 8080}, srvData{"users-1.users." + domain, 8080})
	z.setSRV("_grpc._tcp.users."+domain, srvData{"users-0.users." + domain, 9090}, srvData{"users-1.users." + domain, 9090})
	set, err := newDiscovery(t, z, dns.Config{}).GetService(context.Background(), "users")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range set {
		got = append(got, s.ID+"="+strings.Join(s.Endpoints, "+"))
	}
	want := "users-0=grpc://10.0.0.7:9090+http://10.0.0.7:8080 users-1=grpc://10.0.0.8:9090+http://10.0.0.8:8080"
	if strings.Join(got, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	if set[0].Metadata["dns_target"] != "users-0.users."+domain {
		t.Fatalf("metadata %v", set[0].Metadata)
	}
}

// A name with only A records: one instance per address, with the
// configured ports.
func TestARecordsWithConfiguredPorts(t *testing.T) {
	z := newZone(t)
	z.setA("users."+domain, "10.0.0.7", "10.0.0.8")
	d := newDiscovery(t, z, dns.Config{Ports: map[string]int{"grpc": 7000}})
	set, err := d.GetService(context.Background(), "users")
	if err != nil || len(set) != 2 || set[0].ID != "10.0.0.7" || strings.Join(set[1].Endpoints, ",") != "grpc://10.0.0.8:7000" {
		t.Fatalf("GetService = %+v, %v", set, err)
	}
}

// An SRV target without an address is skipped and logged; the rest are
// returned.
func TestUnresolvableTargetIsLogged(t *testing.T) {
	z := newZone(t)
	var buf goxtest.LogBuffer
	z.setA("ok.users."+domain, "10.0.0.7")
	z.setSRV("_http._tcp.users."+domain, srvData{"ok.users." + domain, 8080}, srvData{"gone.users." + domain, 8080})
	d := newDiscovery(t, z, dns.Config{}, dns.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	set, err := d.GetService(context.Background(), "users")
	if err != nil || len(set) != 1 || set[0].ID != "ok" {
		t.Fatalf("GetService = %+v, %v", set, err)
	}
	if !strings.Contains(buf.String(), "gone.users."+domain) {
		t.Fatalf("the unresolvable target was not logged:\n%s", buf.String())
	}
}

// A DNS server that does not answer is an error naming the name, within
// the timeout — not an empty set that would look like "no instances".
func TestServerDownIsAnError(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	_ = pc.Close()
	d, err := dns.Open(dns.Config{Server: addr, Domain: domain, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = d.GetService(context.Background(), "users")
	if err == nil || !strings.Contains(err.Error(), "users."+domain) {
		t.Fatalf("GetService with the DNS server down: %v; want an error naming users.%s", err, domain)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("took %v; timeout is 300ms", took)
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		c    dns.Config
		want string
	}{
		{dns.Config{Schemes: []string{"h_ttp"}}, `scheme "h_ttp" is not a DNS label`},
		{dns.Config{Ports: map[string]int{"http": 70000}}, "http port 70000 is out of range"},
		{dns.Config{Server: "10.0.0.1"}, `server "10.0.0.1" must be host:port`},
	} {
		if _, err := dns.Open(tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%+v) = %v; want %q", tc.c, err, tc.want)
		}
	}
	d, _ := dns.Open(dns.Config{})
	if _, err := d.GetService(context.Background(), "no such/name"); err == nil || !strings.Contains(err.Error(), "is not a DNS name") {
		t.Fatalf("a service name that is not a DNS name: %v", err)
	}
}

// Calls by name in DNS mode: the HTTP client resolves discovery:///users
// through DNS and balances over both pods; when one pod leaves the records
// the calls go to the other.
func TestHTTPClientByName(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	var ports []uint16
	for _, name := range []string{"users-0", "users-1"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits[name]++
			mu.Unlock()
			_, _ = w.Write([]byte(`{"pod":"` + name + `"}`))
		}))
		t.Cleanup(srv.Close)
		_, p, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
		n, _ := strconv.Atoi(p)
		ports = append(ports, uint16(n))
	}
	z := newZone(t)
	z.setA("users-0.users."+domain, "127.0.0.1")
	z.setA("users-1.users."+domain, "127.0.0.1")
	z.setSRV("_http._tcp.users."+domain, srvData{"users-0.users." + domain, ports[0]}, srvData{"users-1.users." + domain, ports[1]})
	d := newDiscovery(t, z, dns.Config{})
	// round robin, so that both pods are asked whatever their latency
	c, err := xhttp.NewClient("discovery:///users", xhttp.WithDiscovery(d, selector.NewRoundRobin()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	type pod struct {
		Pod string `json:"pod"`
	}
	ctx := context.Background()
	for range 20 {
		if _, err := xhttp.Call[pod](ctx, c, http.MethodGet, "/whoami", nil); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	if hits["users-0"] == 0 || hits["users-1"] == 0 {
		t.Fatalf("calls were not spread over both pods: %v", hits)
	}
	mu.Unlock()
	z.setSRV("_http._tcp.users."+domain, srvData{"users-1.users." + domain, ports[1]})
	time.Sleep(300 * time.Millisecond) // a few refreshes
	mu.Lock()
	clear(hits)
	mu.Unlock()
	for range 10 {
		got, err := xhttp.Call[pod](ctx, c, http.MethodGet, "/whoami", nil)
		if err != nil || got.Pod != "users-1" {
			t.Fatalf("after users-0 left the records: %+v, %v", got, err)
		}
	}
}

// New looks names up with the caller's resolver.
func TestNewOnTheCallersResolver(t *testing.T) {
	z := newZone(t)
	z.setA("users."+domain, "10.0.0.9")
	if _, err := dns.New(nil); err == nil || !strings.Contains(err.Error(), "resolver is nil") {
		t.Fatalf("New(nil) = %v; want an error naming the resolver", err)
	}
	res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var nd net.Dialer
		return nd.DialContext(ctx, network, z.addr())
	}}
	d, err := dns.New(res, dns.WithConfig(dns.Config{Domain: domain, Ports: map[string]int{"http": 8081}}))
	if err != nil {
		t.Fatal(err)
	}
	set, err := d.GetService(context.Background(), "users")
	if err != nil || len(set) != 1 || strings.Join(set[0].Endpoints, ",") != "http://10.0.0.9:8081" {
		t.Fatalf("GetService = %+v, %v; want one instance at 10.0.0.9:8081", set, err)
	}
}
