// Package gossip is a registry with no server: every service process is a
// member of a hashicorp/memberlist cluster (SWIM gossip), advertises its
// instances in its member metadata, and learns everyone else's from the
// gossip — go-doudou's decentralised registry, behind gox's
// registry.Registry contract.
//
// A cluster starts with one node whose Seeds are empty; the others name one
// or more members as seeds. A process that stops answering is suspected,
// then declared dead and dropped from every view within DeadTimeout; one
// that leaves cleanly (Close) is dropped at once.
//
//	reg, err := gossip.Open(gossip.Config{Seeds: []string{"10.0.0.7:7946"}, Port: 7946})
//	defer reg.Close()
//	app := gox.New(gox.WithRegistrar(reg), ...)
//	users, err := xhttp.NewClient("discovery:///users", xhttp.WithDiscovery(reg, nil))
package gossip

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/goxkit/gox/registry"
)

// Registry is a gossip registry member; safe for concurrent use.
type Registry struct {
	cfg    Config
	logger *slog.Logger
	ml     *memberlist.Memberlist
	view   *registry.Memory // what the cluster advertises, rebuilt from gossip

	mu    sync.Mutex
	local []*registry.ServiceInstance // registered through this member
	meta  []byte
	nodes map[string]nodeState // member name → what it advertised

	stop chan struct{}
	done chan struct{}
}

type nodeState struct {
	meta string
	ids  []*registry.ServiceInstance
}

var _ registry.Registry = (*Registry)(nil)

// join tries every seed; an unresolvable or silent seed is named in the log.
func (r *Registry) join() error {
	var errs []string
	joined := 0
	for _, s := range r.cfg.Seeds {
		host, _, _ := net.SplitHostPort(s)
		if net.ParseIP(host) == nil {
			if _, err := net.LookupHost(host); err != nil {
				errs = append(errs, fmt.Sprintf("seed %s does not resolve: %v", s, err))
				continue
			}
		}
		n, err := r.ml.Join([]string{s})
		if err != nil {
			errs = append(errs, fmt.Sprintf("seed %s: %v", s, err))
			continue
		}
		joined += n
	}
	if joined > 0 {
		return nil
	}
	err := fmt.Errorf("gossip: no seed joined: %s", strings.Join(errs, "; "))
	r.logger.Warn(err.Error(), "member", r.ml.LocalNode().Name)
	return err
}

// rejoin keeps trying the seeds while this member is alone: at start when
// none answered, and later if every other member was lost (a partition, or
// the seeds restarted with new state).
func (r *Registry) rejoin(alone bool) {
	defer close(r.done)
	if len(r.cfg.Seeds) == 0 {
		<-r.stop
		return
	}
	if alone {
		r.logger.Warn("gossip: running as a cluster of one until a seed answers", "member", r.ml.LocalNode().Name, "seeds", r.cfg.Seeds)
	}
	wait := time.Second
	for {
		t := time.NewTimer(wait)
		select {
		case <-r.stop:
			t.Stop()
			return
		case <-t.C:
		}
		if r.ml.NumMembers() > 1 {
			wait = 5 * time.Second
			continue
		}
		if r.join() == nil {
			r.logger.Info("gossip: joined the cluster", "member", r.ml.LocalNode().Name, "members", r.ml.NumMembers())
			wait = 5 * time.Second
			continue
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// Addr is the host:port other members reach this one at: a seed for them.
func (r *Registry) Addr() string {
	n := r.ml.LocalNode()
	return net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port)))
}

// Members returns the names of the members alive in this member's view.
func (r *Registry) Members() []string {
	var out []string
	for _, m := range r.ml.Members() {
		out = append(out, m.Name)
	}
	slices.Sort(out)
	return out
}

// Register advertises ins from this member. The instances of one member
// share memberlist's metadata limit of 512 bytes, encoded as JSON.
func (r *Registry) Register(ctx context.Context, ins *registry.ServiceInstance) error {
	if err := ins.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	local := slices.DeleteFunc(slices.Clone(r.local), func(o *registry.ServiceInstance) bool { return o.ID == ins.ID })
	local = append(local, ins.Clone())
	meta, err := json.Marshal(local)
	if err == nil && len(meta) > memberlist.MetaMaxSize {
		err = fmt.Errorf("gossip: instance %s: this member's instances take %d bytes of metadata; memberlist carries at most %d (fewer metadata keys or endpoints)", ins.ID, len(meta), memberlist.MetaMaxSize)
	}
	if err != nil {
		r.mu.Unlock()
		return err
	}
	r.local, r.meta = local, meta
	r.mu.Unlock()
	return r.announce(ctx)
}

// Deregister stops advertising ins.
func (r *Registry) Deregister(ctx context.Context, ins *registry.ServiceInstance) error {
	if ins == nil {
		return nil
	}
	r.mu.Lock()
	n := len(r.local)
	r.local = slices.DeleteFunc(slices.Clone(r.local), func(o *registry.ServiceInstance) bool { return o.ID == ins.ID })
	if len(r.local) == n {
		r.mu.Unlock()
		return nil
	}
	r.meta, _ = json.Marshal(r.local)
	r.mu.Unlock()
	return r.announce(ctx)
}

// announce gossips this member's new metadata and updates its own view.
func (r *Registry) announce(ctx context.Context) error {
	wait := 5 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		wait = max(time.Until(dl), time.Millisecond)
	}
	if err := r.ml.UpdateNode(wait); err != nil {
		return fmt.Errorf("gossip: announcing this member's instances: %w", err)
	}
	return nil
}

// GetService implements registry.Discovery.
func (r *Registry) GetService(ctx context.Context, name string) ([]*registry.ServiceInstance, error) {
	return r.view.GetService(ctx, name)
}

// ListServices implements registry.Lister: the services the cluster
// advertises.
func (r *Registry) ListServices(ctx context.Context) ([]string, error) {
	return r.view.ListServices(ctx)
}

// Watch implements registry.Discovery.
func (r *Registry) Watch(ctx context.Context, name string) (registry.Watcher, error) {
	return r.view.Watch(ctx, name)
}

// Close leaves the cluster — the others drop this member's instances at
// once instead of after DeadTimeout — and stops gossiping.
func (r *Registry) Close() error {
	select {
	case <-r.stop:
		return nil
	default:
	}
	close(r.stop)
	<-r.done
	err := r.ml.Leave(2 * time.Second)
	if serr := r.ml.Shutdown(); err == nil {
		err = serr
	}
	return err
}

// Halt stops the member without leaving the cluster: the others see it
// fail — drop it after DeadTimeout — instead of leave, as after a crash.
// For failure drills and benchmarks; Close after Halt does nothing.
func (r *Registry) Halt() {
	select {
	case <-r.stop:
		return
	default:
	}
	close(r.stop)
	<-r.done
	_ = r.ml.Shutdown()
}

// decodeMeta reads the instances a member advertises: a JSON array of
// registry.ServiceInstance. err is for the metadata as a whole (not a JSON
// array of instances: nothing is taken); invalid has an error for each
// instance left out (nil, no ID, no name, no endpoint). An endpoint that is
// not a URL is the client's to skip (selector.NodesOf): the instance's
// other endpoints may serve.
func decodeMeta(meta []byte) (valid []*registry.ServiceInstance, invalid []error, err error) {
	if len(meta) == 0 {
		return nil, nil, nil
	}
	var set []*registry.ServiceInstance
	if err := json.Unmarshal(meta, &set); err != nil {
		return nil, nil, fmt.Errorf("metadata is not a JSON array of instances: %w", err)
	}
	valid = set[:0]
	for i, ins := range set {
		if err := ins.Validate(); err != nil {
			invalid = append(invalid, fmt.Errorf("instance %d: %w", i, err))
			continue
		}
		valid = append(valid, ins)
	}
	return valid, invalid, nil
}

// apply takes a member's advertised metadata into the view.
func (r *Registry) apply(name string, meta []byte) {
	valid, invalid, err := decodeMeta(meta)
	if err != nil {
		r.logger.Warn("gossip: ignoring a member's malformed metadata", "member", name, "error", err, "metadata", truncate(meta))
	}
	for _, err := range invalid {
		r.logger.Warn("gossip: ignoring an invalid instance a member advertised", "member", name, "error", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.nodes[name]
	if old.meta == string(meta) && meta != nil {
		return
	}
	ctx := context.Background()
	for _, o := range old.ids {
		if !slices.ContainsFunc(valid, func(n *registry.ServiceInstance) bool { return n.ID == o.ID && n.Name == o.Name }) {
			_ = r.view.Deregister(ctx, o)
		}
	}
	for _, ins := range valid {
		_ = r.view.Register(ctx, ins)
	}
	if meta == nil {
		delete(r.nodes, name)
		return
	}
	r.nodes[name] = nodeState{meta: string(meta), ids: valid}
}

func truncate(b []byte) string {
	if len(b) > 120 {
		return string(b[:120]) + "…"
	}
	return string(b)
}

// delegate gives memberlist this member's metadata.
type delegate Registry

func (d *delegate) NodeMeta(limit int) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.meta) > limit {
		return []byte("[]") // Register refuses this; never reached
	}
	return slices.Clone(d.meta)
}
func (d *delegate) NotifyMsg([]byte)                           {}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

// events turns membership changes into view changes.
type events Registry

func (e *events) NotifyJoin(n *memberlist.Node)   { (*Registry)(e).apply(n.Name, n.Meta) }
func (e *events) NotifyUpdate(n *memberlist.Node) { (*Registry)(e).apply(n.Name, n.Meta) }
func (e *events) NotifyLeave(n *memberlist.Node)  { (*Registry)(e).apply(n.Name, nil) }
