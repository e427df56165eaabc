package etcd_test

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/goxkit/gox/contrib/registry/etcd"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/registry/registrytest"
)

const hint = "source ci/lib.sh; source ci/etcd.sh; start_etcd"

func newRegistry(t *testing.T, c etcd.Config, opts ...etcd.Option) *etcd.Registry {
	t.Helper()
	r, err := etcd.Open(c, opts...)
	return goxtest.Opened(t, r, err)
}

func prefix(t *testing.T) string {
	return fmt.Sprintf("/gox-test/%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
}

func TestContract(t *testing.T) {
	ep := goxtest.RequireEnv(t, "ETCD_ENDPOINTS", hint)
	p := prefix(t)
	registrytest.Run(t, func(t *testing.T) registry.Registry {
		return newRegistry(t, etcd.Config{Endpoints: []string{ep}, Prefix: p})
	}, registrytest.Options{Within: 5 * time.Second})
}

func instance(svc, id string, port int) *registry.ServiceInstance {
	return &registry.ServiceInstance{ID: id, Name: svc, Version: "v1",
		Endpoints: []string{fmt.Sprintf("http://127.0.0.1:%d", port)}}
}

// A process that dies without deregistering stops renewing its lease: its
// instance leaves the others' view within the TTL.
func TestCrashedInstanceExpiresWithinTTL(t *testing.T) {
	ep := goxtest.RequireEnv(t, "ETCD_ENDPOINTS", hint)
	c := etcd.Config{Endpoints: []string{ep}, Prefix: prefix(t), TTL: 2 * time.Second}
	crashed, d := newRegistry(t, c), newRegistry(t, c)
	ctx := context.Background()
	if err := crashed.Register(ctx, instance("orders", "a", 1)); err != nil {
		t.Fatal(err)
	}
	if set, _ := d.GetService(ctx, "orders"); registrytest.IDs(set) != "a" {
		t.Fatalf("registered instance not seen: [%s]", registrytest.IDs(set))
	}
	_ = crashed.Close() // stops the keepalive, revokes nothing: a crash
	start := time.Now()
	goxtest.Eventually(t, 5*time.Second, func() bool {
		set, err := d.GetService(ctx, "orders")
		return err == nil && len(set) == 0
	})
	// etcd checks expiry about every 500 ms; a second on top of the TTL
	// covers it and the last keepalive's head start
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("the crashed instance stayed %v, TTL is 2s", took)
	}
}

// Keys under the prefix that are not instances are skipped and logged,
// in GetService and in a watch.
func TestMalformedKeysAreIgnoredAndLogged(t *testing.T) {
	ep := goxtest.RequireEnv(t, "ETCD_ENDPOINTS", hint)
	var buf goxtest.LogBuffer
	c := etcd.Config{Endpoints: []string{ep}, Prefix: prefix(t)}
	r := newRegistry(t, c, etcd.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	ctx := context.Background()
	if err := r.Register(ctx, instance("orders", "good", 1)); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"/orders/not-json":     "{nope",
		"/orders/no-endpoints": `{"id":"x","name":"orders"}`,
		"/orders/other-name":   `{"id":"y","name":"users","endpoints":["http://127.0.0.1:2"]}`,
	}
	for k, v := range bad {
		if _, err := r.Client().Put(ctx, c.Prefix+k, v); err != nil {
			t.Fatal(err)
		}
	}
	set, err := r.GetService(ctx, "orders")
	if err != nil || registrytest.IDs(set) != "good" {
		t.Fatalf("GetService = [%s], %v; want [good]", registrytest.IDs(set), err)
	}
	for k := range bad {
		if !strings.Contains(buf.String(), c.Prefix+k) {
			t.Fatalf("no log line names %s:\n%s", k, buf.String())
		}
	}
	w, err := r.Watch(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if set, err := w.Next(); err != nil || registrytest.IDs(set) != "good" {
		t.Fatalf("first Next = [%s], %v", registrytest.IDs(set), err)
	}
	if _, err := r.Client().Put(ctx, c.Prefix+"/orders/later", "[]"); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(ctx, instance("orders", "good2", 2)); err != nil {
		t.Fatal(err)
	}
	if set, err := w.Next(); err != nil || registrytest.IDs(set) != "good,good2" {
		t.Fatalf("Next after a malformed put and a registration = [%s], %v", registrytest.IDs(set), err)
	}
}

func TestBadConfig(t *testing.T) {
	for _, tc := range []struct {
		c    etcd.Config
		want string
	}{
		{etcd.Config{}, "endpoints is empty"},
		{etcd.Config{Endpoints: []string{"127.0.0.1:1", " "}}, "empty entry"},
		{etcd.Config{Endpoints: []string{"127.0.0.1:1"}, TTL: time.Second}, "ttl 1s is below"},
	} {
		if _, err := etcd.Open(tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%+v) = %v; want an error containing %q", tc.c, err, tc.want)
		}
	}
	r := newRegistry(t, etcd.Config{Endpoints: []string{"127.0.0.1:1"}})
	if err := r.Register(context.Background(), instance("a/b", "x", 1)); err == nil || !strings.Contains(err.Error(), "must not contain '/'") {
		t.Fatalf("a name with a slash: %v", err)
	}
}

// etcdServer runs a private etcd on port storing in dir; stop sends SIGTERM
// and waits.
func etcdServer(t *testing.T, port int, dir string) (stop func()) {
	t.Helper()
	bin := goxtest.RequireBinary(t, "etcd", "apt-get install etcd-server")
	peer := goxtest.FreePorts(t, 1, port)[0]
	cmd := exec.Command(bin, "--name", "t", "--data-dir", dir,
		"--listen-client-urls", fmt.Sprintf("http://127.0.0.1:%d", port),
		"--advertise-client-urls", fmt.Sprintf("http://127.0.0.1:%d", port),
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peer),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peer),
		"--initial-cluster", fmt.Sprintf("t=http://127.0.0.1:%d", peer),
		"--log-outputs", dir+".log", "--logger", "zap", "--unsafe-no-fsync")
	return goxtest.StartServer(t, cmd, 15*time.Second, func() bool { return goxtest.TCPOpen(fmt.Sprintf("127.0.0.1:%d", port)) })
}

// TestServerRestartedEmpty replaces etcd with a new, empty one on the same
// address while two services are registered through keepers and a third
// process watches them: both register again and the watch shows them again,
// with no service restarted; the keepers report the outage and the recovery.
func TestServerRestartedEmpty(t *testing.T) {
	port := goxtest.FreePort(t)
	stop := etcdServer(t, port, t.TempDir()+"/one")
	c := etcd.Config{Endpoints: []string{fmt.Sprintf("127.0.0.1:%d", port)}, TTL: 3 * time.Second, DialTimeout: time.Second}
	ctx := context.Background()
	var keepers []*registry.Keeper
	for i, id := range []string{"a", "b"} {
		k := registry.NewKeeper(newRegistry(t, c), registry.KeeperOptions{Refresh: 300 * time.Millisecond, MaxBackoff: 500 * time.Millisecond})
		ins := instance("orders", id, 8000+i)
		if err := k.Register(ctx, ins); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = k.Deregister(ctx, ins) })
		keepers = append(keepers, k)
	}
	watcher := newRegistry(t, c)
	w, err := watcher.Watch(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	seen := registrytest.Follow(t, w)
	seen.Wait("a,b", 5*time.Second)
	// take the old cluster's revision far past what the new one will reach
	// in this test: a watch that merely resumed at its old revision would
	// see nothing the re-registrations write
	for i := range 300 {
		if _, err := watcher.Client().Put(ctx, "/unrelated", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}

	stop()
	goxtest.Eventually(t, 10*time.Second, func() bool { return !keepers[0].Healthy() && !keepers[1].Healthy() })
	time.Sleep(time.Second) // let the leases' client-side deadlines pass too
	start := time.Now()
	etcdServer(t, port, t.TempDir()+"/two") // a new cluster: no keys, no leases, revision 1

	goxtest.Eventually(t, 15*time.Second, func() bool {
		set, err := watcher.GetService(ctx, "orders")
		return err == nil && registrytest.IDs(set) == "a,b"
	})
	t.Logf("both instances registered again %v after etcd came back", time.Since(start).Round(time.Millisecond))
	goxtest.Eventually(t, 10*time.Second, func() bool { return keepers[0].Healthy() && keepers[1].Healthy() })
	// the watch follows what happens in the new cluster
	seen.Drain()
	if err := keepers[0].Deregister(ctx, instance("orders", "a", 8000)); err != nil {
		t.Fatal(err)
	}
	seen.Wait("b", 5*time.Second)
	c3 := newRegistry(t, c)
	if err := c3.Register(ctx, instance("orders", "c", 8002)); err != nil {
		t.Fatal(err)
	}
	seen.Wait("b,c", 5*time.Second)
}

// An etcd that is down when the service starts: with a keeper the service
// starts degraded, saying so, and is registered once etcd is up; a required
// registry fails the start naming the endpoint.
func TestUnreachableAtStart(t *testing.T) {
	port := goxtest.FreePort(t)
	ep := fmt.Sprintf("127.0.0.1:%d", port)
	c := etcd.Config{Endpoints: []string{ep}, DialTimeout: 500 * time.Millisecond}
	ctx := context.Background()
	ins := instance("orders", "a", 1)

	required := registry.NewKeeper(newRegistry(t, c), registry.KeeperOptions{Required: true})
	err := required.Register(ctx, ins)
	if err == nil || !strings.Contains(err.Error(), "required") || !strings.Contains(err.Error(), ep) {
		t.Fatalf("required registration with etcd down: %v; want an error naming %s", err, ep)
	}

	var buf goxtest.LogBuffer
	k := registry.NewKeeper(newRegistry(t, c), registry.KeeperOptions{Refresh: 200 * time.Millisecond,
		MaxBackoff: 300 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err := k.Register(ctx, ins); err != nil {
		t.Fatalf("degraded start: %v", err)
	}
	t.Cleanup(func() { _ = k.Deregister(ctx, ins) })
	if k.Healthy() || !strings.Contains(buf.String(), "degraded") {
		t.Fatalf("healthy=%v with etcd down; log:\n%s", k.Healthy(), buf.String())
	}
	etcdServer(t, port, t.TempDir()+"/d")
	goxtest.Eventually(t, 10*time.Second, k.Healthy)
	d := newRegistry(t, c)
	goxtest.Eventually(t, 5*time.Second, func() bool {
		set, err := d.GetService(ctx, "orders")
		return err == nil && registrytest.IDs(set) == "a"
	})
}

// New takes a client the caller made: the registry works through it, and
// Close leaves it open.
func TestNewOnTheCallersClient(t *testing.T) {
	ep := goxtest.RequireEnv(t, "ETCD_ENDPOINTS", hint)
	cli, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(ep, ","), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := etcd.New(nil); err == nil || !strings.Contains(err.Error(), "client is nil") {
		t.Fatalf("New(nil) = %v; want an error naming the client", err)
	}
	r, err := etcd.New(cli, etcd.WithConfig(etcd.Config{Prefix: prefix(t)}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Register(ctx, instance("users", "u1", 1)); err != nil {
		t.Fatal(err)
	}
	if set, err := r.GetService(ctx, "users"); err != nil || registrytest.IDs(set) != "u1" {
		t.Fatalf("GetService = [%s], %v; want u1", registrytest.IDs(set), err)
	}
	_ = r.Deregister(ctx, instance("users", "u1", 1))
	_ = r.Close()
	if _, err := cli.Get(ctx, "/"); err != nil {
		t.Fatalf("the caller's client after Close: %v; want it still open", err)
	}
}
