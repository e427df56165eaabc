package etcd

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/connectivity"

	"github.com/goxkit/gox/registry"
)

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
