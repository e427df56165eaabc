package registry

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// KeeperOptions tune a Keeper.
type KeeperOptions struct {
	// Required makes a failed first registration fail the start (the App
	// stops with the error). Otherwise the service starts degraded —
	// serving, but not discoverable — says so in the log, and keeps trying.
	Required bool
	// Refresh is how often the registration is renewed (default 10 s): a
	// backend that restarted empty, or expired the instance while it was
	// unreachable, has it again within one Refresh of coming back.
	Refresh time.Duration
	// MaxBackoff caps the wait between attempts after a failure (default
	// 30 s; the first retry waits 100 ms, doubling).
	MaxBackoff time.Duration
	// Logger is where the keeper reports outages and recoveries (default
	// slog.Default()).
	Logger *slog.Logger
}

// Keeper is a Registrar that keeps its instance registered: it registers
// it, renews it every Refresh, and after a failure registers it again with
// backoff until the backend takes it. Healthy says whether the instance is
// registered now (the registry_healthy metric). Wrap the backend with it:
//
//	gox.WithRegistrar(registry.NewKeeper(consulRegistry, registry.KeeperOptions{}))
type Keeper struct {
	r       Registrar
	o       KeeperOptions
	healthy atomic.Bool

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// NewKeeper wraps r.
func NewKeeper(r Registrar, o KeeperOptions) *Keeper {
	if o.Refresh <= 0 {
		o.Refresh = 10 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Keeper{r: r, o: o}
}

// Healthy says whether the instance is registered now.
func (k *Keeper) Healthy() bool { return k.healthy.Load() }

// Register registers ins and keeps it registered until Deregister. With
// Required, a first failure is returned; without, it is logged and the
// keeper retries in the background.
func (k *Keeper) Register(ctx context.Context, ins *ServiceInstance) error {
	if err := ins.Validate(); err != nil {
		return err
	}
	err := k.r.Register(ctx, ins)
	if err != nil && k.o.Required {
		return fmt.Errorf("registry: registering %s (required): %w", ins.ID, err)
	}
	k.healthy.Store(err == nil)
	if err != nil {
		k.o.Logger.Warn("registry unreachable: running degraded (serving, not discoverable); retrying in the background",
			"service", ins.Name, "id", ins.ID, "error", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cancel != nil {
		k.cancel()
		<-k.done
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	k.cancel, k.done = cancel, make(chan struct{})
	go k.keep(lctx, ins.Clone(), k.done)
	return nil
}

// keep renews the registration, and registers again with backoff after a
// failure.
func (k *Keeper) keep(ctx context.Context, ins *ServiceInstance, done chan struct{}) {
	defer close(done)
	backoff := 100 * time.Millisecond
	for {
		wait := k.o.Refresh
		if !k.healthy.Load() {
			wait = backoff
			backoff = min(2*backoff, k.o.MaxBackoff)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		actx, cancel := context.WithTimeout(ctx, max(k.o.Refresh, time.Second))
		err := k.r.Register(actx, ins)
		cancel()
		if ctx.Err() != nil {
			return
		}
		was := k.healthy.Swap(err == nil)
		switch {
		case err != nil && was:
			k.o.Logger.Warn("registry: lost the registration; registering again with backoff", "service", ins.Name, "id", ins.ID, "error", err)
		case err == nil && !was:
			k.o.Logger.Info("registry: registered again", "service", ins.Name, "id", ins.ID)
			backoff = 100 * time.Millisecond
		}
	}
}

// Deregister stops keeping ins and withdraws it.
func (k *Keeper) Deregister(ctx context.Context, ins *ServiceInstance) error {
	k.mu.Lock()
	if k.cancel != nil {
		k.cancel()
		<-k.done
		k.cancel = nil
	}
	k.mu.Unlock()
	k.healthy.Store(false)
	return k.r.Deregister(ctx, ins)
}
