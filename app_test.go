package gox_test

import (
	"context"
	stderrors "errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goxkit/gox"
	"github.com/goxkit/gox/registry"
	xhttp "github.com/goxkit/gox/transport/http"
)

type trail struct {
	mu     sync.Mutex
	events []string
}

func (t *trail) add(e string) { t.mu.Lock(); t.events = append(t.events, e); t.mu.Unlock() }
func (t *trail) get() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.events)
}

// fakeServer blocks in Start until Stop; Stop waits for block (if set) or ctx.
type fakeServer struct {
	name    string
	t       *trail
	stopped chan struct{}
	once    sync.Once
	block   chan struct{}
	failing error
}

func newFake(name string, t *trail) *fakeServer {
	return &fakeServer{name: name, t: t, stopped: make(chan struct{})}
}

func (s *fakeServer) Start(context.Context) error {
	s.t.add("start " + s.name)
	if s.failing != nil {
		return s.failing
	}
	<-s.stopped
	return nil
}

func (s *fakeServer) Stop(ctx context.Context) error {
	s.t.add("stop " + s.name)
	defer s.once.Do(func() { close(s.stopped) })
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

type fakeRegistrar struct{ t *trail }

func (r fakeRegistrar) Register(_ context.Context, ins *registry.ServiceInstance) error {
	r.t.add("register " + ins.Name)
	return nil
}
func (r fakeRegistrar) Deregister(_ context.Context, ins *registry.ServiceInstance) error {
	r.t.add("deregister " + ins.Name)
	return nil
}

func hook(t *trail, name string) gox.Hook {
	return func(context.Context) error { t.add(name); return nil }
}

func quiet() gox.Option { return gox.WithLogger(slog.New(slog.DiscardHandler)) }

func waitFor(t *testing.T, tr *trail, event string) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if slices.Contains(tr.get(), event) {
			return
		}
	}
	t.Fatalf("no %q in %v", event, tr.get())
}

func TestGracefulStopOrder(t *testing.T) {
	defer goleak.VerifyNone(t)
	tr := &trail{}
	app := gox.New(gox.WithName("shop"), quiet(), gox.WithSignals(syscall.SIGUSR1),
		gox.WithServer(newFake("a", tr)), gox.WithRegistrar(fakeRegistrar{tr}),
		gox.WithBeforeStart(hook(tr, "before-start")), gox.WithAfterStart(hook(tr, "after-start")),
		gox.WithBeforeStop(func(context.Context) error {
			tr.add("before-stop")
			return nil
		}),
		gox.WithAfterStop(hook(tr, "after-stop")),
		gox.WithResource("db", hook(tr, "close db")), gox.WithResource("cache", hook(tr, "close cache")))
	done := make(chan error, 1)
	go func() { done <- app.Run(context.Background()) }()
	waitFor(t, tr, "register shop")
	if !app.Health().Ready(context.Background()).Ready {
		t.Fatal("not ready while running")
	}
	_ = syscall.Kill(syscall.Getpid(), syscall.SIGUSR1)
	if err := <-done; err != nil {
		t.Fatalf("Run after a clean stop: %v", err)
	}
	if app.Health().Ready(context.Background()).Ready {
		t.Fatal("still ready after stop")
	}
	got := tr.get()
	if i, j := slices.Index(got, "start a"), slices.Index(got, "deregister shop"); i < 0 || i > j {
		t.Fatalf("server did not start before deregistration: %v", got)
	}
	got = slices.DeleteFunc(got, func(e string) bool { return e == "start a" })
	want := []string{"before-start", "after-start", "register shop", "deregister shop",
		"before-stop", "stop a", "after-stop", "close cache", "close db"}
	if !slices.Equal(got, want) {
		t.Fatalf("order\n got %v\nwant %v", got, want)
	}
}

func TestSecondSignalForcesStop(t *testing.T) {
	tr := &trail{}
	stuck := newFake("stuck", tr)
	stuck.block = make(chan struct{}) // never drains on its own
	defer close(stuck.block)
	app := gox.New(quiet(), gox.WithSignals(syscall.SIGUSR2), gox.WithServer(stuck), gox.WithStopTimeout(time.Minute))
	done := make(chan error, 1)
	go func() { done <- app.Run(context.Background()) }()
	waitFor(t, tr, "start stuck")
	_ = syscall.Kill(syscall.Getpid(), syscall.SIGUSR2)
	waitFor(t, tr, "stop stuck")
	_ = syscall.Kill(syscall.Getpid(), syscall.SIGUSR2)
	select {
	case err := <-done:
		if !stderrors.Is(err, gox.ErrForcedStop) {
			t.Fatalf("Run = %v, want ErrForcedStop", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second signal did not force the stop")
	}
}

func TestPortInUseStopsTheApp(t *testing.T) {
	busy, _ := net.Listen("tcp", "127.0.0.1:0")
	defer busy.Close()
	c := xhttp.DefaultConfig()
	c.Addr = busy.Addr().String()
	hs, _ := xhttp.NewServer(c)
	tr := &trail{}
	fake := newFake("other", tr)
	app := gox.New(quiet(), gox.WithServer(fake, hs), gox.WithResource("db", hook(tr, "close db")))
	err := app.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "http server: listen on "+c.Addr) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Run = %v", err)
	}
	if got := tr.get(); !slices.Equal(got, []string{"close db"}) {
		t.Fatalf("a server started or a resource stayed open: %v", got)
	}
}

func TestServerFailureStopsTheOthers(t *testing.T) {
	tr := &trail{}
	bad := newFake("bad", tr)
	bad.failing = stderrors.New("consumer lost its broker")
	good := newFake("good", tr)
	err := gox.New(quiet(), gox.WithServer(good, bad)).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "consumer lost its broker") {
		t.Fatalf("Run = %v", err)
	}
	if !slices.Contains(tr.get(), "stop good") {
		t.Fatalf("the healthy server was not stopped: %v", tr.get())
	}
}

func TestSignalDrainsInFlightHTTPRequest(t *testing.T) {
	c := xhttp.DefaultConfig()
	c.Addr = "127.0.0.1:0"
	hs, _ := xhttp.NewServer(c, xhttp.WithLogger(slog.New(slog.DiscardHandler)))
	entered := make(chan struct{})
	hs.GET("/slow", func(c *xhttp.Context) error {
		close(entered)
		time.Sleep(500 * time.Millisecond)
		c.String(200, "finished")
		return nil
	})
	app := gox.New(quiet(), gox.WithSignals(syscall.SIGUSR1), gox.WithServer(hs), gox.WithStopTimeout(5*time.Second))
	done := make(chan error, 1)
	go func() { done <- app.Run(context.Background()) }()
	var url string
	for end := time.Now().Add(5 * time.Second); url == "" && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if ins := app.Instance(); ins != nil && hs.Addr() != "" {
			url = "http://" + hs.Addr()
		}
	}
	status := make(chan string, 1)
	go func() {
		for { // the server may not be serving yet: retry until it answers
			resp, err := http.Get(url + "/slow")
			if err == nil {
				resp.Body.Close()
				status <- resp.Status
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	<-entered
	_ = syscall.Kill(syscall.Getpid(), syscall.SIGUSR1)
	if s := <-status; s != "200 OK" {
		t.Fatalf("in-flight request: %s", s)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}
