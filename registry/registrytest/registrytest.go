// Package registrytest is the contract every registry.Registry passes: the
// in-memory one in core, gossip, Consul, etcd in contrib/registry against
// real servers. Backends that converge asynchronously (gossip, a Consul
// agent) pass too: every check waits up to Options.Within for the view to
// catch up.
package registrytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/registry"
)

// Options tune the contract for a backend.
type Options struct {
	// Within bounds how long a change may take to be seen (default 10 s).
	Within time.Duration
}

// Run runs the contract. newRegistry returns a registry; two calls within
// one test must reach the same backend, as two processes would (one
// registers, the other discovers).
func Run(t *testing.T, newRegistry func(t *testing.T) registry.Registry, o Options) {
	if o.Within == 0 {
		o.Within = 10 * time.Second
	}
	ctx := context.Background()
	name := func(t *testing.T) string {
		return strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano()%1e6)))
	}
	instance := func(svc, id string) *registry.ServiceInstance {
		return &registry.ServiceInstance{ID: id, Name: svc, Version: "v1.2.3",
			Metadata:  map[string]string{"zone": "eu-1", "weight": "10"},
			Endpoints: []string{"http://127.0.0.1:8080", "grpc://127.0.0.1:9090"}}
	}
	seen := func(t *testing.T, d registry.Discovery, svc, want string) []*registry.ServiceInstance {
		t.Helper()
		var set []*registry.ServiceInstance
		var err error
		ok := false
		deadline := time.Now().Add(o.Within)
		for !ok && time.Now().Before(deadline) {
			set, err = d.GetService(ctx, svc)
			ok = err == nil && IDs(set) == want
			if !ok {
				time.Sleep(50 * time.Millisecond)
			}
		}
		if !ok {
			t.Fatalf("GetService(%s) = [%s], %v; want [%s] within %v", svc, IDs(set), err, want, o.Within)
		}
		return set
	}

	t.Run("RegisterGetDeregister", func(t *testing.T) {
		r, d, svc := newRegistry(t), newRegistry(t), name(t)
		a, b := instance(svc, svc+"-a"), instance(svc, svc+"-b")
		for _, ins := range []*registry.ServiceInstance{a, b} {
			if err := r.Register(ctx, ins); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = r.Deregister(ctx, ins) })
		}
		set := seen(t, d, svc, a.ID+","+b.ID)
		for _, s := range set {
			if s.Name != svc || s.Version != "v1.2.3" || s.Metadata["zone"] != "eu-1" || s.Metadata["weight"] != "10" ||
				s.Endpoint("http") != "http://127.0.0.1:8080" || s.Endpoint("grpc") != "grpc://127.0.0.1:9090" {
				t.Fatalf("instance came back as %+v", s)
			}
		}
		listed := func(want bool) {
			t.Helper()
			l, ok := d.(registry.Lister)
			if !ok {
				return
			}
			goxtest.Eventually(t, o.Within, func() bool {
				names, err := l.ListServices(ctx)
				return err == nil && slices.Contains(names, svc) == want && slices.IsSorted(names)
			})
		}
		listed(true)
		if err := r.Deregister(ctx, a); err != nil {
			t.Fatal(err)
		}
		seen(t, d, svc, b.ID)
		if err := r.Deregister(ctx, b); err != nil {
			t.Fatal(err)
		}
		seen(t, d, svc, "")
		listed(false)
		if err := r.Deregister(ctx, a); err != nil {
			t.Fatalf("deregistering an unknown instance: %v", err)
		}
		if set, err := d.GetService(ctx, name(t)+"-nobody"); err != nil || len(set) != 0 {
			t.Fatalf("a service nobody registered: %v, %v; want none and no error", set, err)
		}
	})
	t.Run("ReRegisterUpdates", func(t *testing.T) {
		r, d, svc := newRegistry(t), newRegistry(t), name(t)
		a := instance(svc, svc+"-a")
		if err := r.Register(ctx, a); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Deregister(ctx, a) })
		seen(t, d, svc, a.ID)
		a2 := a.Clone()
		a2.Version, a2.Metadata["weight"] = "v1.2.4", "20"
		if err := r.Register(ctx, a2); err != nil {
			t.Fatal(err)
		}
		goxtest.Eventually(t, o.Within, func() bool {
			set, _ := d.GetService(ctx, svc)
			return len(set) == 1 && set[0].Version == "v1.2.4" && set[0].Metadata["weight"] == "20"
		})
	})
	t.Run("WatchFollowsChanges", func(t *testing.T) {
		r, d, svc := newRegistry(t), newRegistry(t), name(t)
		a, b := instance(svc, svc+"-a"), instance(svc, svc+"-b")
		if err := r.Register(ctx, a); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Deregister(ctx, a); _ = r.Deregister(ctx, b) })
		seen(t, d, svc, a.ID)
		w, err := d.Watch(ctx, svc)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		next := func(want string) { t.Helper(); nextIs(t, w, want, o.Within) }
		next(a.ID) // the current set first
		if err := r.Register(ctx, b); err != nil {
			t.Fatal(err)
		}
		next(a.ID + "," + b.ID)
		if err := r.Deregister(ctx, a); err != nil {
			t.Fatal(err)
		}
		next(b.ID)
		if err := w.Stop(); err != nil {
			t.Fatal(err)
		}
		if _, err := nextWithin(w, o.Within); err == nil {
			t.Fatal("Next after Stop returned a set")
		}
	})
	t.Run("StopEndsABlockedNext", func(t *testing.T) {
		d, svc := newRegistry(t), name(t)
		w, err := d.Watch(ctx, svc)
		if err != nil {
			t.Fatal(err)
		}
		if set, err := nextWithin(w, o.Within); err != nil || len(set) != 0 {
			t.Fatalf("first Next of an unknown service: %v, %v", set, err)
		}
		stopEndsBlockedNext(t, w, o.Within)
	})
	t.Run("InvalidInstancesAreRefused", func(t *testing.T) {
		r, svc := newRegistry(t), name(t)
		for _, bad := range []*registry.ServiceInstance{
			{Name: svc, Endpoints: []string{"http://127.0.0.1:1"}},
			{ID: "x", Endpoints: []string{"http://127.0.0.1:1"}},
			{ID: "x", Name: svc},
		} {
			if err := r.Register(ctx, bad); err == nil {
				t.Fatalf("registered %+v", bad)
			}
		}
	})
}

// stopEndsBlockedNext stops w while a Next is blocked in it: that Next must
// return ErrWatcherStopped within d.
func stopEndsBlockedNext(t *testing.T, w registry.Watcher, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { _, err := w.Next(); done <- err }()
	time.Sleep(100 * time.Millisecond)
	_ = w.Stop()
	select {
	case err := <-done:
		if !errors.Is(err, registry.ErrWatcherStopped) {
			t.Fatalf("a blocked Next returned %v after Stop; want ErrWatcherStopped", err)
		}
	case <-time.After(d):
		t.Fatal("Stop did not end a blocked Next")
	}
}

// nextIs fails t unless w's Next calls reach the set want (IDs) within d.
func nextIs(t *testing.T, w registry.Watcher, want string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		set, err := nextWithin(w, d)
		if err != nil {
			t.Fatalf("Next: %v (want [%s])", err, want)
		}
		if IDs(set) == want {
			return
		}
	}
	t.Fatalf("the watch did not show [%s] within %v", want, d)
}

// nextWithin is w.Next bounded by d.
func nextWithin(w registry.Watcher, d time.Duration) ([]*registry.ServiceInstance, error) {
	type res struct {
		set []*registry.ServiceInstance
		err error
	}
	ch := make(chan res, 1)
	go func() { set, err := w.Next(); ch <- res{set, err} }()
	select {
	case r := <-ch:
		return r.set, r.err
	case <-time.After(d):
		return nil, errors.New("Next did not return within " + d.String())
	}
}

// Publish makes svc's instances exactly set, by whatever means the backend
// is fed (a DNS zone, a Kubernetes API ...).
type Publish func(t *testing.T, svc string, set []*registry.ServiceInstance)

// RunDiscovery is the contract for a Discovery that has no Registrar — DNS,
// where the platform publishes the records: what it returns follows what
// publish put there, in GetService and in a Watch, and an unknown service
// has no instances. The backend names instances itself; the contract
// compares their IDs, so publish must produce the IDs it is given.
func RunDiscovery(t *testing.T, d registry.Discovery, publish Publish, o Options) {
	if o.Within == 0 {
		o.Within = 10 * time.Second
	}
	ctx := context.Background()
	instance := func(svc, id string, port int) *registry.ServiceInstance {
		return &registry.ServiceInstance{ID: id, Name: svc, Endpoints: []string{fmt.Sprintf("http://127.0.0.1:%d", port)}}
	}
	t.Run("GetServiceFollowsPublished", func(t *testing.T) {
		svc := fmt.Sprintf("get-%d", time.Now().UnixNano()%1e6)
		publish(t, svc, []*registry.ServiceInstance{instance(svc, "a", 8081), instance(svc, "b", 8082)})
		var set []*registry.ServiceInstance
		goxtest.Eventually(t, o.Within, func() bool {
			set, _ = d.GetService(ctx, svc)
			return IDs(set) == "a,b"
		})
		for _, s := range set {
			want := map[string]string{"a": "http://127.0.0.1:8081", "b": "http://127.0.0.1:8082"}[s.ID]
			if s.Name != svc || s.Endpoint("http") != want {
				t.Fatalf("instance came back as %+v; want name %s, endpoint %s", s, svc, want)
			}
		}
		publish(t, svc, []*registry.ServiceInstance{instance(svc, "b", 8082)})
		goxtest.Eventually(t, o.Within, func() bool {
			set, _ = d.GetService(ctx, svc)
			return IDs(set) == "b"
		})
		if set, err := d.GetService(ctx, svc+"-nobody"); err != nil || len(set) != 0 {
			t.Fatalf("a service nobody published: %v, %v; want none and no error", set, err)
		}
	})
	t.Run("WatchFollowsChanges", func(t *testing.T) {
		svc := fmt.Sprintf("watch-%d", time.Now().UnixNano()%1e6)
		publish(t, svc, []*registry.ServiceInstance{instance(svc, "a", 8081)})
		goxtest.Eventually(t, o.Within, func() bool { set, _ := d.GetService(ctx, svc); return IDs(set) == "a" })
		w, err := d.Watch(ctx, svc)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		next := func(want string) { t.Helper(); nextIs(t, w, want, o.Within) }
		next("a")
		publish(t, svc, []*registry.ServiceInstance{instance(svc, "a", 8081), instance(svc, "b", 8082)})
		next("a,b")
		publish(t, svc, nil)
		next("")
		if err := w.Stop(); err != nil {
			t.Fatal(err)
		}
		if _, err := nextWithin(w, o.Within); err == nil {
			t.Fatal("Next after Stop returned a set")
		}
	})
	t.Run("StopEndsABlockedNext", func(t *testing.T) {
		w, err := d.Watch(ctx, fmt.Sprintf("idle-%d", time.Now().UnixNano()%1e6))
		if err != nil {
			t.Fatal(err)
		}
		if set, err := nextWithin(w, o.Within); err != nil || len(set) != 0 {
			t.Fatalf("first Next of an unknown service: %v, %v", set, err)
		}
		stopEndsBlockedNext(t, w, o.Within)
	})
}

// IDs is the sorted, comma-joined IDs of set: what the contract compares.
func IDs(set []*registry.ServiceInstance) string {
	out := make([]string, 0, len(set))
	for _, s := range set {
		out = append(out, s.ID)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// Seen collects what a Watcher reports, as IDs, for tests that change the
// backend under a watch (a restart) and wait for a set to show.
type Seen struct {
	t    testing.TB
	sets chan string
}

// Follow reads w until it ends (Stop it, or the test's cleanup does).
func Follow(t testing.TB, w registry.Watcher) *Seen {
	s := &Seen{t: t, sets: make(chan string, 1000)}
	t.Cleanup(func() { _ = w.Stop() })
	go func() {
		for {
			set, err := w.Next()
			if err != nil {
				return
			}
			s.sets <- IDs(set)
		}
	}()
	return s
}

// Wait fails the test unless the watch reports the set want (IDs) within d.
func (s *Seen) Wait(want string, d time.Duration) {
	s.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case got := <-s.sets:
			if got == want {
				return
			}
		case <-deadline:
			s.t.Fatalf("the watch did not show [%s] within %v", want, d)
		}
	}
}

// Drain forgets what was reported so far.
func (s *Seen) Drain() {
	for {
		select {
		case <-s.sets:
		default:
			return
		}
	}
}

// FloodClients makes a registry.Clients of at most maxSize clients over
// dial and asks it for one client each of names distinct service names
// nobody serves, as a caller naming services from request input would,
// releasing each after use. It fails t unless the set keeps maxSize
// clients, and, once closed, goroutines fall back to where they were: a
// client pushed out of the set, and its watch, are gone.
func FloodClients[C io.Closer](t *testing.T, dial func(name string) (C, error), names, maxSize int) {
	t.Helper()
	before := runtime.NumGoroutine()
	set := registry.NewClients(dial, registry.ClientsOptions{MaxSize: maxSize})
	for i := range names {
		_, release, err := set.Get(context.Background(), fmt.Sprint("made-up-", i))
		if err != nil {
			t.Fatal(err)
		}
		release()
	}
	if set.Len() != maxSize {
		t.Errorf("the set holds %d clients after %d names, MaxSize %d", set.Len(), names, maxSize)
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	if n := goxtest.Goroutines(before, 5*time.Second); n > before {
		t.Fatalf("goroutines: %d before, %d after %d names and Close", before, n, names)
	}
}
