package grpc

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"google.golang.org/grpc/attributes"
	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/base"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/status"

	gerrors "github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/selector"
)

// SchemeDiscovery is the target scheme resolved through a registry:
// "discovery:///user" dials the instances of service user.
const SchemeDiscovery = "discovery"

// balancerName is the gRPC balancer that asks a gox selector.
const balancerName = "gox_selector"

func init() {
	balancer.Register(base.NewBalancerBuilder(balancerName, pickerBuilder{}, base.Config{}))
}

// WithDiscovery resolves "discovery:///<service>" targets through d and
// spreads calls over the instances' grpc:// endpoints with b (P2C when
// nil), keeping only the instances the filters pass. Each instance has a
// circuit breaker and is ejected when it keeps failing (selector.InstanceHealth;
// tune it with WithInstanceHealth). A call for a service with no instance fails at
// once with Unavailable naming the service.
func WithDiscovery(d registry.Discovery, b selector.Balancer, filters ...selector.Filter) ClientOption {
	return func(o *clientOptions) {
		o.discovery = &resolverBuilder{d: d, b: b, filters: filters}
	}
}

// WithInstanceHealth sets how a discovery client guards the instances (the default
// is selector.InstanceHealth's).
func WithInstanceHealth(h selector.InstanceHealth) ClientOption {
	return func(o *clientOptions) { o.health = &h }
}

// OnSelector hands f the selector a discovery connection picks instances
// with, each time grpc-go builds its resolver (once per Dial, as a rule): to
// show its instances and their breakers on a status page
// (selector.Selector.State). f must not block.
func OnSelector(f func(*selector.Selector)) ClientOption {
	return func(o *clientOptions) { o.onSelector = f }
}

// WithClientLogger is where the client logs what it ignores (a peer's malformed
// endpoint); default slog.Default().
func WithClientLogger(l *slog.Logger) ClientOption { return func(o *clientOptions) { o.logger = l } }

type resolverBuilder struct {
	d          registry.Discovery
	b          selector.Balancer
	filters    []selector.Filter
	health     *selector.InstanceHealth
	onSelector func(*selector.Selector)
	logger     *slog.Logger
}

func (rb *resolverBuilder) Scheme() string { return SchemeDiscovery }

func (rb *resolverBuilder) Build(target resolver.Target, cc resolver.ClientConn, _ resolver.BuildOptions) (resolver.Resolver, error) {
	name := strings.TrimPrefix(target.URL.Path, "/")
	if name == "" {
		name = target.URL.Host
	}
	if name == "" {
		return nil, fmt.Errorf("grpc client: target %q names no service (want discovery:///<service>)", target.URL.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := rb.d.Watch(ctx, name)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("grpc client: watching service %s: %w", name, err)
	}
	sel := selector.New(name, rb.b, rb.filters...)
	if rb.health != nil {
		sel.SetInstanceHealth(*rb.health)
	}
	if rb.onSelector != nil {
		rb.onSelector(sel)
	}
	r := &discoveryResolver{name: name, cc: cc, w: w, ctx: ctx, cancel: cancel, sel: sel, logger: rb.logger}
	r.wg.Go(r.watch)
	return r, nil
}

type discoveryResolver struct {
	name   string
	cc     resolver.ClientConn
	w      registry.Watcher
	ctx    context.Context
	cancel context.CancelFunc
	logger *slog.Logger
	sel    *selector.Selector
	wg     sync.WaitGroup
}

type selectorKey struct{}

// watch turns every set of instances into the selector's nodes and the
// connection's addresses.
func (r *discoveryResolver) watch() {
	sent := false // addresses were given to the connection
	selector.Follow(r.ctx, r.w, func(set []*registry.ServiceInstance, err error) {
		if err != nil {
			r.cc.ReportError(fmt.Errorf("discovery of service %s: %w", r.name, err))
			return
		}
		nodes, bad := selector.NodesOf(set, "grpc")
		for _, b := range bad {
			r.logger.Warn("discovery: ignoring a malformed endpoint", "service", r.name, "endpoint", b)
		}
		addrs := make([]resolver.Address, 0, len(nodes))
		for _, n := range nodes {
			addrs = append(addrs, resolver.Address{Addr: n.Address, Attributes: attributes.New(selectorKey{}, r.sel)})
		}
		r.sel.Apply(nodes) // the pickers see the new set at once
		if len(addrs) == 0 {
			noInstance := fmt.Errorf("service %s has no instance with a grpc endpoint", r.name)
			if sent {
				// drop the connections to the instances that left; the
				// error that follows is what failing calls then say
				r.cc.ReportError(noInstance)
				_ = r.cc.UpdateState(resolver.State{})
				sent = false
			}
			r.cc.ReportError(noInstance)
			return
		}
		if err := r.cc.UpdateState(resolver.State{Addresses: addrs}); err != nil {
			r.cc.ReportError(err)
		}
		sent = true
	})
}

func (r *discoveryResolver) ResolveNow(resolver.ResolveNowOptions) {}

func (r *discoveryResolver) Close() {
	_ = r.w.Stop()
	r.cancel()
	r.wg.Wait()
}

type pickerBuilder struct{}

// Build makes a picker over the ready connections of one target.
func (pickerBuilder) Build(info base.PickerBuildInfo) balancer.Picker {
	var sel *selector.Selector
	ready := make(map[string]balancer.SubConn, len(info.ReadySCs))
	for sc, sci := range info.ReadySCs {
		if s, ok := sci.Address.Attributes.Value(selectorKey{}).(*selector.Selector); ok {
			sel = s
		}
		ready[sci.Address.Addr] = sc
	}
	if sel == nil {
		return base.NewErrPicker(balancer.ErrNoSubConnAvailable)
	}
	return &picker{sel: sel, ready: ready}
}

type picker struct {
	sel   *selector.Selector
	ready map[string]balancer.SubConn
}

// Pick asks the selector among the instances discovery knows that have a
// ready connection. None known: Unavailable naming the service, at once.
// Known but none ready yet: wait for a connection (gRPC's usual).
func (p *picker) Pick(info balancer.PickInfo) (balancer.PickResult, error) {
	node, done, err := p.sel.Pick(info.Ctx, func(_ context.Context, nodes []*selector.Node) []*selector.Node {
		out := nodes[:0:0]
		for _, n := range nodes {
			if _, ok := p.ready[n.Address]; ok {
				out = append(out, n)
			}
		}
		return out
	})
	if err != nil {
		if gerrors.Reason(err) == selector.ReasonCircuitOpen {
			return balancer.PickResult{}, status.Error(codes.Unavailable, err.Error()) // fail fast: do not wait
		}
		if len(p.sel.Candidates(info.Ctx)) > 0 {
			return balancer.PickResult{}, balancer.ErrNoSubConnAvailable
		}
		return balancer.PickResult{}, status.Error(codes.Unavailable, err.Error())
	}
	ctx := info.Ctx
	return balancer.PickResult{SubConn: p.ready[node.Address], Done: func(di balancer.DoneInfo) {
		done(ctx, selector.DoneInfo{Err: FromStatus(di.Err)})
	}}, nil
}
