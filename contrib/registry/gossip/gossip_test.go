package gossip

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/registry/registrytest"
)

// testConfig is a member on loopback with a free port and short timers.
func testConfig(seeds ...string) Config {
	return Config{Seeds: seeds, BindAddr: "127.0.0.1", Port: -1, DeadTimeout: 1500 * time.Millisecond,
		SyncInterval: time.Second, ReclaimTimeout: time.Second}
}

func member(t *testing.T, c Config, opts ...Option) *Registry {
	t.Helper()
	r, err := Open(c, append([]Option{WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	return goxtest.Opened(t, r, err)
}

func TestContract(t *testing.T) {
	var mu sync.Mutex
	seeds := map[string]string{} // test → its cluster's seed
	registrytest.Run(t, func(t *testing.T) registry.Registry {
		mu.Lock()
		defer mu.Unlock()
		if s, ok := seeds[t.Name()]; ok {
			return member(t, testConfig(s))
		}
		r := member(t, testConfig())
		seeds[t.Name()] = r.Addr()
		return r
	}, registrytest.Options{Within: 10 * time.Second})
}

// A member that stops answering (no leave: a crash) is dropped from the
// others' view within the dead timeout, with its instances.
func TestDeadMemberLeavesTheViewWithinDeadTimeout(t *testing.T) {
	a := member(t, testConfig())
	b := member(t, testConfig(a.Addr()))
	c := member(t, testConfig(a.Addr()))
	ins := &registry.ServiceInstance{ID: "c-1", Name: "users", Endpoints: []string{"http://127.0.0.1:1"}}
	if err := c.Register(context.Background(), ins); err != nil {
		t.Fatal(err)
	}
	goxtest.Eventually(t, 5*time.Second, func() bool {
		set, _ := b.GetService(context.Background(), "users")
		return len(a.Members()) == 3 && len(set) == 1
	})
	killed := time.Now()
	c.Halt()
	goxtest.Eventually(t, 3*time.Second, func() bool {
		set, _ := b.GetService(context.Background(), "users")
		return len(a.Members()) == 2 && len(b.Members()) == 2 && len(set) == 0
	})
	if d, dead := time.Since(killed), testConfig().DeadTimeout; d > dead+500*time.Millisecond {
		t.Fatalf("dead member dropped after %v; dead timeout %v", d, dead)
	}
}

// A peer advertising garbage is ignored and logged; the view stays whole.
func TestMalformedPeerMetadataIsIgnoredAndLogged(t *testing.T) {
	var logs goxtest.LogBuffer
	a := member(t, testConfig(), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	good := &registry.ServiceInstance{ID: "a-1", Name: "users", Endpoints: []string{"http://127.0.0.1:1"}}
	if err := a.Register(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	for i, meta := range []string{`{not json`, `[{"id":"x"}]`, `[null]`} {
		mc := memberlist.DefaultLocalConfig()
		mc.Name, mc.BindAddr, mc.BindPort = "rogue-"+string(rune('a'+i)), "127.0.0.1", 0
		mc.Delegate = rawMeta(meta)
		mc.LogOutput = &bytes.Buffer{}
		rogue, err := memberlist.Create(mc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rogue.Shutdown() })
		if _, err := rogue.Join([]string{a.Addr()}); err != nil {
			t.Fatal(err)
		}
	}
	goxtest.Eventually(t, 5*time.Second, func() bool { return len(a.Members()) == 4 })
	goxtest.Eventually(t, 5*time.Second, func() bool {
		return strings.Count(logs.String(), "malformed metadata") >= 1 && strings.Count(logs.String(), "invalid instance") >= 2
	})
	set, err := a.GetService(context.Background(), "users")
	if err != nil || len(set) != 1 || set[0].ID != "a-1" {
		t.Fatalf("view after garbage from peers: %v %v", set, err)
	}
}

type rawMeta string

func (m rawMeta) NodeMeta(int) []byte           { return []byte(m) }
func (rawMeta) NotifyMsg([]byte)                {}
func (rawMeta) GetBroadcasts(int, int) [][]byte { return nil }
func (rawMeta) LocalState(bool) []byte          { return nil }
func (rawMeta) MergeRemoteState([]byte, bool)   {}

func TestUnresolvableSeed(t *testing.T) {
	c := testConfig("no-such-seed.invalid:7946")
	c.RequireSeed = true
	_, err := Open(c, WithLogger(slog.New(slog.DiscardHandler)))
	if err == nil || !strings.Contains(err.Error(), "no-such-seed.invalid:7946") {
		t.Fatalf("err = %v; want an error naming the seed", err)
	}
	// without require_seed: the member starts alone and says why
	var logs goxtest.LogBuffer
	c.RequireSeed = false
	r := member(t, c, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if len(r.Members()) != 1 {
		t.Fatalf("members %v", r.Members())
	}
	goxtest.Eventually(t, 2*time.Second, func() bool {
		return strings.Contains(logs.String(), "seed no-such-seed.invalid:7946 does not resolve") && strings.Contains(logs.String(), "cluster of one")
	})
}

// A member that could not join at start joins once a seed appears.
func TestJoinsWhenTheSeedComesUp(t *testing.T) {
	port, err := freePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	seedAddr := "127.0.0.1:" + strconv.Itoa(port)
	lonely := member(t, testConfig(seedAddr))
	if len(lonely.Members()) != 1 {
		t.Fatal(lonely.Members())
	}
	sc := testConfig()
	sc.Port = port
	member(t, sc)
	goxtest.Eventually(t, 10*time.Second, func() bool { return len(lonely.Members()) == 2 })
}

func TestBadConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Seeds: []string{"10.0.0.1"}, Port: -1}, `seed "10.0.0.1" must be host:port`},
		{Config{SecretKey: "short", Port: -1}, "secret_key must be base64 of 16, 24 or 32 bytes"},
		{Config{AdvertiseHost: ".invalid", Port: -1}, `advertise host "`},
	} {
		_, err := Open(c.cfg, WithLogger(slog.New(slog.DiscardHandler)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v; want %q", c.cfg, err, c.want)
		}
	}
}

func TestAdvertiseHeadlessSuffix(t *testing.T) {
	lookupIP = func(h string) ([]net.IP, error) {
		if h == "seed-2.seed-svc-headless.default.svc.cluster.local" {
			return []net.IP{net.ParseIP("10.1.2.3")}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: h, IsNotFound: true}
	}
	defer func() { lookupIP = net.LookupIP }()
	got, err := advertise(".seed-svc-headless.default.svc.cluster.local", "seed-2", "0.0.0.0")
	if err != nil || got != "10.1.2.3" {
		t.Fatalf("advertise on pod seed-2 = %q, %v; want the address of seed-2.seed-svc-headless...", got, err)
	}
	if got, err := advertise("10.9.9.9", "seed-2", "0.0.0.0"); err != nil || got != "10.9.9.9" {
		t.Fatalf("an IP is advertised as is: %q, %v", got, err)
	}
	if _, err := advertise(".other.invalid", "pod-2", "0.0.0.0"); err == nil || !strings.Contains(err.Error(), "pod-2.other.invalid") {
		t.Fatalf("err = %v; want the composed name", err)
	}
}

func TestMetadataLimit(t *testing.T) {
	r := member(t, testConfig())
	big := &registry.ServiceInstance{ID: "x", Name: "users", Endpoints: []string{"http://127.0.0.1:1"},
		Metadata: map[string]string{"blob": strings.Repeat("x", 600)}}
	err := r.Register(context.Background(), big)
	if err == nil || !strings.Contains(err.Error(), "at most 512") {
		t.Fatalf("err = %v", err)
	}
	if set, _ := r.GetService(context.Background(), "users"); len(set) != 0 {
		t.Fatal("a refused instance is in the view")
	}
}

// New takes the caller's memberlist config: the member it starts joins the
// seeds of WithConfig and gossips its instances to the others.
func TestNewOnTheCallersMemberlistConfig(t *testing.T) {
	a := member(t, testConfig())
	if _, err := New(nil); err == nil || !strings.Contains(err.Error(), "memberlist config is nil") {
		t.Fatalf("New(nil) = %v; want an error naming the config", err)
	}
	mc := memberlist.DefaultLocalConfig()
	mc.Name, mc.BindAddr, mc.BindPort, mc.AdvertisePort = "own", "127.0.0.1", 0, 0
	b, err := New(mc, WithConfig(Config{Seeds: []string{a.Addr()}}), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	ins := &registry.ServiceInstance{ID: "own-1", Name: "users", Endpoints: []string{"http://127.0.0.1:8080"}}
	if err := b.Register(ctx, ins); err != nil {
		t.Fatal(err)
	}
	goxtest.Eventually(t, 10*time.Second, func() bool {
		set, _ := a.GetService(ctx, "users")
		return len(set) == 1 && set[0].ID == "own-1"
	})
}
