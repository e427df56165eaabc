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
//	reg, err := etcd.New(etcd.Config{Endpoints: []string{"10.0.0.5:2379"}})
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
	"slices"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc/connectivity"

	"github.com/goxkit/gox/registry"
)

// Config is the etcd registry's configuration.
type Config struct {
	// Endpoints are the etcd members, host:port or URLs (required).
	Endpoints []string `yaml:"endpoints"`
	// Prefix is the key prefix (default "/gox/services").
	Prefix string `yaml:"prefix"`
	// TTL is the lease's time to live: how long the keys of a process that
	// died stay visible (default 15 s, at least 2 s). Keepalives go every
	// TTL/3.
	TTL time.Duration `yaml:"ttl"`
	// DialTimeout bounds connecting, and each registry call that has no
	// deadline of its own (default 5 s).
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// Username and Password authenticate when etcd has auth enabled.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// DefaultConfig is the configuration whose zero values New fills in, spelt
// out, with etcd at 127.0.0.1:2379.
func DefaultConfig() Config {
	return Config{Endpoints: []string{"127.0.0.1:2379"}, Prefix: "/gox/services", TTL: 15 * time.Second, DialTimeout: 5 * time.Second}
}

// Registry is a registry.Registry on etcd; safe for concurrent use.
type Registry struct {
	cfg     Config
	cli     *clientv3.Client
	ownsCli bool
	logger  *slog.Logger

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

// Option tunes New.
type Option func(*Registry)

// WithLogger is where the registry logs lost leases, re-registrations and
// malformed keys (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(r *Registry) { r.logger = l } }

// WithClient uses an existing etcd client instead of dialling
// Config.Endpoints; Close leaves it open.
func WithClient(c *clientv3.Client) Option { return func(r *Registry) { r.cli = c } }

// New connects to etcd. Connecting is lazy, as with grpc: an unreachable
// etcd is not an error here but on the first Register or GetService, which
// registry.Keeper turns into a degraded start or a failed one, by config.
func New(c Config, opts ...Option) (*Registry, error) {
	if c.Prefix == "" {
		c.Prefix = "/gox/services"
	}
	c.Prefix = "/" + strings.Trim(c.Prefix, "/")
	if c.TTL == 0 {
		c.TTL = 15 * time.Second
	}
	if c.TTL < 2*time.Second {
		return nil, fmt.Errorf("etcd registry: ttl %v is below the 2s minimum", c.TTL)
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	r := &Registry{cfg: c, logger: slog.Default(), local: map[string]*lease{}, subs: map[chan struct{}]struct{}{}}
	for _, o := range opts {
		o(r)
	}
	if r.cli == nil {
		if len(c.Endpoints) == 0 {
			return nil, errors.New("etcd registry: endpoints is empty")
		}
		for _, e := range c.Endpoints {
			if strings.TrimSpace(e) == "" {
				return nil, fmt.Errorf("etcd registry: endpoints %q has an empty entry", c.Endpoints)
			}
		}
		cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints, DialTimeout: c.DialTimeout,
			Username: c.Username, Password: c.Password, Logger: quietZap()})
		if err != nil {
			return nil, fmt.Errorf("etcd registry: client for %v: %w", c.Endpoints, err)
		}
		r.cli, r.ownsCli = cli, true
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.wg.Add(1)
	go r.followConnection()
	return r, nil
}

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
	if r.ownsCli {
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

// GetService reads every instance of name.
func (r *Registry) GetService(ctx context.Context, name string) ([]*registry.ServiceInstance, error) {
	set, _, err := r.read(ctx, name)
	if err != nil {
		return nil, err
	}
	return set.list(), nil
}

// ListServices implements registry.Lister: the services with a key under
// the prefix.
func (r *Registry) ListServices(ctx context.Context) ([]string, error) {
	ctx, cancel := r.callCtx(ctx)
	defer cancel()
	resp, err := r.cli.Get(ctx, r.cfg.Prefix+"/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, fmt.Errorf("etcd registry: listing services at %v: %w", r.cli.Endpoints(), err)
	}
	var out []string
	for _, kv := range resp.Kvs {
		name, _, ok := strings.Cut(strings.TrimPrefix(string(kv.Key), r.cfg.Prefix+"/"), "/")
		if ok && name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// instances is one service's instances by key.
type instances map[string]*registry.ServiceInstance

func (s instances) list() []*registry.ServiceInstance {
	out := make([]*registry.ServiceInstance, 0, len(s))
	for _, ins := range s {
		out = append(out, ins.Clone())
	}
	return out
}

// read returns name's instances and the revision they were read at.
func (r *Registry) read(ctx context.Context, name string) (instances, int64, error) {
	ctx, cancel := r.callCtx(ctx)
	defer cancel()
	resp, err := r.cli.Get(ctx, r.cfg.Prefix+"/"+name+"/", clientv3.WithPrefix())
	if err != nil {
		return nil, 0, fmt.Errorf("etcd registry: reading %s at %v: %w", name, r.cli.Endpoints(), err)
	}
	set := instances{}
	for _, kv := range resp.Kvs {
		if ins := r.decode(name, kv.Key, kv.Value); ins != nil {
			set[string(kv.Key)] = ins
		}
	}
	return set, resp.Header.Revision, nil
}

// decode parses one key's value; a malformed one is logged and skipped.
func (r *Registry) decode(name string, key, value []byte) *registry.ServiceInstance {
	ins, err := decodeInstance(name, value)
	if err != nil {
		r.logger.Warn("etcd registry: ignoring a malformed instance", "key", string(key), "error", err)
		return nil
	}
	return ins
}

// decodeInstance reads the value of a key under service name: the JSON of
// a registry.ServiceInstance of that service, as any process may have
// written it.
func decodeInstance(name string, value []byte) (*registry.ServiceInstance, error) {
	var ins registry.ServiceInstance
	if err := json.Unmarshal(value, &ins); err != nil {
		return nil, fmt.Errorf("value is not the JSON of an instance: %w", err)
	}
	if err := ins.Validate(); err != nil {
		return nil, err
	}
	if ins.Name != name {
		return nil, fmt.Errorf("instance %s names service %q, under %q", ins.ID, ins.Name, name)
	}
	return &ins, nil
}

// followConnection tells every watch to read its service again when the
// client's connection comes back after it was lost: etcd may have restarted
// empty, and a watch resumed at its old revision would miss what happened.
func (r *Registry) followConnection() {
	defer r.wg.Done()
	conn := r.cli.ActiveConnection()
	lost := false
	for {
		s := conn.GetState()
		switch {
		case s != connectivity.Ready:
			lost = true
		case s == connectivity.Ready && lost:
			lost = false
			r.mu.Lock()
			for resync := range r.subs {
				select {
				case resync <- struct{}{}:
				default:
				}
			}
			r.mu.Unlock()
		}
		if !conn.WaitForStateChange(r.ctx, s) {
			return
		}
	}
}

// Watch follows name's instances.
func (r *Registry) Watch(ctx context.Context, name string) (registry.Watcher, error) {
	set, rev, err := r.read(ctx, name)
	if err != nil {
		return nil, err
	}
	w := registry.NewLatest(ctx, set.list())
	stopOnClose := context.AfterFunc(r.ctx, func() { _ = w.Stop() })
	resync := make(chan struct{}, 1)
	r.mu.Lock()
	r.subs[resync] = struct{}{}
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer stopOnClose()
		r.follow(w, name, resync, set, rev)
		r.mu.Lock()
		delete(r.subs, resync)
		r.mu.Unlock()
	}()
	return w, nil
}

// follow applies etcd's events to set from revision rev+1 on, and reads the
// whole service again after a lost connection, a compaction or a watch
// that ended.
func (r *Registry) follow(w *registry.Latest, name string, kick <-chan struct{}, set instances, rev int64) {
	ctx := w.Context()
	prefix := r.cfg.Prefix + "/" + name + "/"
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		ch := r.cli.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1))
		resync := false
		for !resync {
			select {
			case <-ctx.Done():
				cancel()
				return
			case <-kick:
				resync = true
			case resp, ok := <-ch:
				if !ok || resp.Canceled || resp.Err() != nil {
					resync = true
					break
				}
				changed := false
				for _, ev := range resp.Events {
					k := string(ev.Kv.Key)
					if ev.Type == clientv3.EventTypeDelete {
						if _, had := set[k]; had {
							delete(set, k)
							changed = true
						}
						continue
					}
					if ins := r.decode(name, ev.Kv.Key, ev.Kv.Value); ins != nil {
						set[k], changed = ins, true
					}
				}
				rev = max(rev, resp.Header.Revision)
				if changed {
					w.Publish(set.list())
				}
			}
		}
		cancel()
		for ctx.Err() == nil {
			fresh, frev, err := r.read(ctx, name)
			if err == nil {
				if !sameSet(set, fresh) {
					w.Publish(fresh.list())
				}
				set, rev, backoff = fresh, frev, 100*time.Millisecond
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
		}
	}
}

func sameSet(a, b instances) bool {
	if len(a) != len(b) {
		return false
	}
	for k, x := range a {
		y, ok := b[k]
		if !ok {
			return false
		}
		bx, _ := json.Marshal(x)
		by, _ := json.Marshal(y)
		if string(bx) != string(by) {
			return false
		}
	}
	return true
}

// quietZap silences the etcd client's own log: its retries while etcd is
// away would flood the service's log, and the registry reports what matters
// (a lost lease, a re-registration) itself. WithClient keeps any logger.
func quietZap() *zap.Logger { return zap.NewNop() }
