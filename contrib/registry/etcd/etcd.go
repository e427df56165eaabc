// Package etcd is a service registry on etcd v3: each instance is a key
// <prefix>/<service>/<id> holding the instance as JSON, attached to a lease
// that the registering process keeps alive. A process that dies stops
// renewing, and etcd deletes its keys when the lease's TTL runs out; one that
// stops cleanly revokes the lease and is gone at once.
//
// It heals itself: when a lease is lost (etcd restarted empty, or was
// unreachable for longer than the TTL) the instance is registered again
// under a new lease, with backoff, and a watch that loses its connection
// reads the whole service again when it is back, so no change made while it
// was away is missed.
//
//	reg, err := etcd.New(client, etcd.WithConfig(etcd.Config{TTL: 10 * time.Second})) // your clientv3.Client
//	reg, err := etcd.Open(etcd.Config{Endpoints: []string{"10.0.0.5:2379"}}) // or one from config
//	defer reg.Close()
//	app := gox.New(gox.WithRegistrar(registry.NewKeeper(reg, registry.KeeperOptions{})), ...)
//	users, err := xhttp.NewClient("discovery:///users", xhttp.WithDiscovery(reg, nil))
package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/goxkit/gox/registry"
)

// Registry is a registry.Registry on etcd; safe for concurrent use.
type Registry struct {
	cfg    Config
	cli    *clientv3.Client
	owns   bool // Close closes cli: Open made it
	logger *slog.Logger

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	local map[string]*lease          // instance ID → its lease
	subs  map[chan struct{}]struct{} // each watch's resync signal
}

// lease is one registered instance's lease and the goroutine keeping it.
type lease struct {
	ins    *registry.ServiceInstance
	value  string
	id     clientv3.LeaseID
	cancel context.CancelFunc
	done   chan struct{}
}

var _ registry.Registry = (*Registry)(nil)

// Client is the etcd client the registry uses.
func (r *Registry) Client() *clientv3.Client { return r.cli }

// Close stops keeping leases alive (without revoking them: instances should
// be deregistered first, as the App does) and ends every watch.
func (r *Registry) Close() error {
	r.cancel()
	r.mu.Lock()
	for _, l := range r.local {
		l.cancel()
	}
	r.mu.Unlock()
	r.wg.Wait()
	if r.owns {
		return r.cli.Close()
	}
	return nil
}

func (r *Registry) key(name, id string) string { return r.cfg.Prefix + "/" + name + "/" + id }

// callCtx bounds a call that has no deadline by DialTimeout.
func (r *Registry) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, r.cfg.DialTimeout)
}

// Register puts the instance under a lease and keeps the lease alive. For
// an ID already registered it updates the value under the same lease; if
// that lease is gone, it takes a new one.
func (r *Registry) Register(ctx context.Context, ins *registry.ServiceInstance) error {
	if err := ins.Validate(); err != nil {
		return err
	}
	if strings.Contains(ins.Name, "/") || strings.Contains(ins.ID, "/") {
		return fmt.Errorf("etcd registry: instance %q of %q: name and id must not contain '/'", ins.ID, ins.Name)
	}
	b, err := json.Marshal(ins)
	if err != nil {
		return fmt.Errorf("etcd registry: encoding instance %s: %w", ins.ID, err)
	}
	ctx, cancel := r.callCtx(ctx)
	defer cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() != nil {
		return errors.New("etcd registry: closed")
	}
	if l := r.local[ins.ID]; l != nil {
		l.ins, l.value = ins.Clone(), string(b)
		_, err := r.cli.Put(ctx, r.key(ins.Name, ins.ID), l.value, clientv3.WithLease(l.id))
		if err == nil {
			return nil
		}
		if !errors.Is(err, rpctypes.ErrLeaseNotFound) {
			return fmt.Errorf("etcd registry: updating %s: %w", ins.ID, err)
		}
		// the lease is gone: the keeper goroutine will see it too; replace it
		l.cancel()
		delete(r.local, ins.ID)
	}
	id, err := r.grantPut(ctx, ins.Name, ins.ID, string(b))
	if err != nil {
		return err
	}
	r.keep(&lease{ins: ins.Clone(), value: string(b), id: id})
	return nil
}

// grantPut takes a lease and puts key=value under it.
func (r *Registry) grantPut(ctx context.Context, name, id, value string) (clientv3.LeaseID, error) {
	g, err := r.cli.Grant(ctx, int64(r.cfg.TTL/time.Second))
	if err != nil {
		return 0, fmt.Errorf("etcd registry: lease for %s at %v: %w", id, r.cli.Endpoints(), err)
	}
	if _, err := r.cli.Put(ctx, r.key(name, id), value, clientv3.WithLease(g.ID)); err != nil {
		_, _ = r.cli.Revoke(context.WithoutCancel(ctx), g.ID)
		return 0, fmt.Errorf("etcd registry: registering %s at %v: %w", id, r.cli.Endpoints(), err)
	}
	return g.ID, nil
}

// keep starts the goroutine that keeps l alive; r.mu is held.
func (r *Registry) keep(l *lease) {
	ctx, cancel := context.WithCancel(r.ctx)
	l.cancel, l.done = cancel, make(chan struct{})
	r.local[l.ins.ID] = l
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(l.done)
		r.keepAlive(ctx, l)
	}()
}

// keepAlive renews l's lease until ctx ends. When the lease is lost it
// registers the instance again under a new lease, backing off from 100 ms
// to the TTL between attempts.
func (r *Registry) keepAlive(ctx context.Context, l *lease) {
	r.mu.Lock()
	id := l.id
	r.mu.Unlock()
	for {
		ch, err := r.cli.KeepAlive(ctx, id)
		if err == nil {
			for range ch { // drains until the lease is gone or ctx ends
			}
		}
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("the lease expired or etcd no longer has it")
		}
		r.mu.Lock()
		name, iid := l.ins.Name, l.ins.ID
		r.mu.Unlock()
		r.logger.Warn("etcd registry: lease lost; registering again", "service", name, "id", iid, "error", err)
		backoff := 100 * time.Millisecond
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			r.mu.Lock()
			name, iid, value := l.ins.Name, l.ins.ID, l.value
			r.mu.Unlock()
			cctx, cancel := context.WithTimeout(ctx, r.cfg.DialTimeout)
			nid, err := r.grantPut(cctx, name, iid, value)
			cancel()
			if err == nil {
				r.mu.Lock()
				l.id, id = nid, nid
				r.mu.Unlock()
				r.logger.Info("etcd registry: registered again", "service", name, "id", iid)
				break
			}
			backoff = min(backoff*2, r.cfg.TTL)
		}
	}
}

// Deregister deletes the instance's key and revokes its lease.
func (r *Registry) Deregister(ctx context.Context, ins *registry.ServiceInstance) error {
	if ins == nil {
		return errors.New("etcd registry: deregister: instance is nil")
	}
	ctx, cancel := r.callCtx(ctx)
	defer cancel()
	r.mu.Lock()
	l := r.local[ins.ID]
	delete(r.local, ins.ID)
	r.mu.Unlock()
	if l != nil {
		l.cancel()
		<-l.done
	}
	if _, err := r.cli.Delete(ctx, r.key(ins.Name, ins.ID)); err != nil {
		return fmt.Errorf("etcd registry: deregistering %s: %w", ins.ID, err)
	}
	if l != nil {
		if _, err := r.cli.Revoke(ctx, l.id); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
			return fmt.Errorf("etcd registry: revoking the lease of %s: %w", ins.ID, err)
		}
	}
	return nil
}
