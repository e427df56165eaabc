package registry_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/registry"
)

// flaky is a backend that can go down (every call fails) and restart empty.
type flaky struct {
	*registry.Memory
	down atomic.Bool
}

var errDown = errors.New("connection refused")

func (f *flaky) Register(ctx context.Context, ins *registry.ServiceInstance) error {
	if f.down.Load() {
		return errDown
	}
	return f.Memory.Register(ctx, ins)
}

func (f *flaky) registered(id string) bool {
	set, _ := f.GetService(context.Background(), "orders")
	return len(set) == 1 && set[0].ID == id
}

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

var orders = &registry.ServiceInstance{ID: "orders-1", Name: "orders", Endpoints: []string{"http://127.0.0.1:1"}}

func TestKeeperRequiredFailsTheStart(t *testing.T) {
	f := &flaky{Memory: registry.NewMemory()}
	f.down.Store(true)
	k := registry.NewKeeper(f, registry.KeeperOptions{Required: true})
	err := k.Register(context.Background(), orders)
	if !errors.Is(err, errDown) || !strings.Contains(err.Error(), "orders-1") || !strings.Contains(err.Error(), "required") {
		t.Fatalf("err = %v; want the backend's error naming the instance", err)
	}
}

func TestKeeperStartsDegradedAndRegistersWhenTheBackendComesUp(t *testing.T) {
	f := &flaky{Memory: registry.NewMemory()}
	f.down.Store(true)
	var logs logBuf
	k := registry.NewKeeper(f, registry.KeeperOptions{Refresh: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err := k.Register(context.Background(), orders); err != nil {
		t.Fatalf("a degraded start returned %v", err)
	}
	defer k.Deregister(context.Background(), orders)
	if k.Healthy() || !strings.Contains(logs.String(), "running degraded") {
		t.Fatalf("healthy %v, log %q", k.Healthy(), logs.String())
	}
	f.down.Store(false)
	goxtest.Eventually(t, 2*time.Second, func() bool { return k.Healthy() && f.registered("orders-1") })
}

func TestKeeperRegistersAgainAfterAnOutage(t *testing.T) {
	f := &flaky{Memory: registry.NewMemory()}
	k := registry.NewKeeper(f, registry.KeeperOptions{Refresh: 50 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err := k.Register(context.Background(), orders); err != nil {
		t.Fatal(err)
	}
	defer k.Deregister(context.Background(), orders)
	if !k.Healthy() {
		t.Fatal("not healthy after registering")
	}
	// the backend goes down and comes back empty (a restart that lost it)
	f.down.Store(true)
	_ = f.Memory.Deregister(context.Background(), orders)
	goxtest.Eventually(t, 2*time.Second, func() bool { return !k.Healthy() })
	f.down.Store(false)
	goxtest.Eventually(t, 2*time.Second, func() bool { return k.Healthy() && f.registered("orders-1") })
}

func TestKeeperStopsOnDeregister(t *testing.T) {
	f := &flaky{Memory: registry.NewMemory()}
	k := registry.NewKeeper(f, registry.KeeperOptions{Refresh: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err := k.Register(context.Background(), orders); err != nil {
		t.Fatal(err)
	}
	if err := k.Deregister(context.Background(), orders); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // five refreshes would have happened
	if f.registered("orders-1") || k.Healthy() {
		t.Fatal("the instance came back after Deregister")
	}
}
