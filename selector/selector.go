// Package selector picks the instance a call goes to. A Selector holds the
// nodes discovery found, filters them (by version, by metadata) and asks a
// Balancer for one; the pick comes with a Done callback the client calls
// when the call ends, so balancers learn from latency and errors.
//
// Balancers: RoundRobin, WeightedRoundRobin (smooth, as nginx's), Random,
// P2C (power of two choices over an EWMA of latency and the calls in
// flight; the default) and ConsistentHash (on a key the caller puts in the
// context with NewHashKeyContext).
package selector

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/registry"
)

// Node is one instance as balancers see it.
type Node struct {
	// Address is where calls go: host:port of the endpoint for the scheme
	// the client speaks.
	Address string
	// Scheme is that endpoint's scheme ("grpc", "http", "https"); set by NodesOf.
	Scheme   string
	Instance *registry.ServiceInstance
	// Weight is the instance's "weight" metadata (default 100).
	Weight int

	health *nodeHealth // set by the selector that holds the node
}

// DefaultWeight is the weight of an instance without "weight" metadata.
const DefaultWeight = 100

// Version is the instance's version.
func (n *Node) Version() string { return n.Instance.Version }

// NewNode makes the node of ins for address, reading its weight; a weight
// that is not a positive integer counts as the default.
func NewNode(address string, ins *registry.ServiceInstance) *Node {
	w, err := strconv.Atoi(ins.Metadata["weight"])
	if err != nil || w <= 0 {
		w = DefaultWeight
	}
	return &Node{Address: address, Instance: ins, Weight: w}
}

// DoneInfo is how a call went.
type DoneInfo struct {
	// Err is the call's error; nil for success.
	Err error
	// Latency overrides the time measured between Pick and Done (for calls
	// that know better, and for tests).
	Latency time.Duration
}

// Done is called once when the call ends.
type Done func(ctx context.Context, di DoneInfo)

// Balancer picks one of nodes, which is never empty. Implementations are
// safe for concurrent use and keep per-node state keyed by Address.
type Balancer interface {
	Pick(ctx context.Context, nodes []*Node) (*Node, Done, error)
}

// Filter narrows the nodes a pick may choose from.
type Filter func(ctx context.Context, nodes []*Node) []*Node

// WithVersion keeps the nodes of version v.
func WithVersion(v string) Filter {
	return func(_ context.Context, nodes []*Node) []*Node {
		return keep(nodes, func(n *Node) bool { return n.Instance.Version == v })
	}
}

// WithMetadata keeps the nodes whose metadata k is v.
func WithMetadata(k, v string) Filter {
	return func(_ context.Context, nodes []*Node) []*Node {
		return keep(nodes, func(n *Node) bool { return n.Instance.Metadata[k] == v })
	}
}

func keep(nodes []*Node, ok func(*Node) bool) []*Node {
	out := make([]*Node, 0, len(nodes))
	for _, n := range nodes {
		if ok(n) {
			out = append(out, n)
		}
	}
	return out
}

// ReasonNoInstance is the reason of the error a pick returns when no
// instance is left.
const ReasonNoInstance = "NO_INSTANCE"

// Selector picks among a service's nodes; Apply replaces them (a discovery
// watch calls it). It is safe for concurrent use.
type Selector struct {
	service  string
	balancer Balancer
	filters  []Filter
	nodes    atomic.Pointer[[]*Node]
	guard    *guard // nil: InstanceHealth disabled
}

// New returns a selector for service using b (P2C when nil), guarding the
// instances with the default InstanceHealth (a breaker per instance, ejection).
func New(service string, b Balancer, filters ...Filter) *Selector {
	if b == nil {
		b = NewP2C()
	}
	s := &Selector{service: service, balancer: b, filters: filters, guard: newGuard(InstanceHealth{})}
	s.nodes.Store(&[]*Node{})
	return s
}

// SetInstanceHealth replaces how instances are guarded; call it before the first
// Apply.
func (s *Selector) SetInstanceHealth(h InstanceHealth) *Selector {
	s.guard = nil
	if !h.Disabled {
		s.guard = newGuard(h)
	}
	return s
}

// Service returns the name of the service the selector picks for.
func (s *Selector) Service() string { return s.service }

// Apply replaces the nodes; what the selector learned of the health of
// addresses that stay is kept.
func (s *Selector) Apply(nodes []*Node) {
	if s.guard != nil {
		s.guard.attach(nodes)
	}
	s.nodes.Store(&nodes)
}

// Nodes returns the current nodes.
func (s *Selector) Nodes() []*Node { return *s.nodes.Load() }

// Candidates returns the nodes the selector's own filters pass.
func (s *Selector) Candidates(ctx context.Context) []*Node {
	nodes := *s.nodes.Load()
	for _, f := range s.filters {
		nodes = f(ctx, nodes)
	}
	return nodes
}

// Pick chooses a node for one call; the filters of the selector and
// extra ones for this call apply. With no node left it returns, at once,
// an unavailable error naming the service (and the filters' effect).
func (s *Selector) Pick(ctx context.Context, extra ...Filter) (*Node, Done, error) {
	all := *s.nodes.Load()
	nodes := all
	for _, f := range s.filters {
		nodes = f(ctx, nodes)
	}
	for _, f := range extra {
		nodes = f(ctx, nodes)
	}
	if len(nodes) == 0 {
		msg := fmt.Sprintf("service %s has no instance", s.service)
		if len(all) > 0 {
			msg = fmt.Sprintf("service %s has %d instances but none passes the filters", s.service, len(all))
		}
		return nil, nil, errors.Unavailable(ReasonNoInstance, msg).WithMetadata(map[string]string{"service": s.service})
	}
	if s.guard != nil {
		return s.pickGuarded(ctx, nodes)
	}
	if at, ok := ctx.Value(attemptsKey{}).(*attempts); ok {
		nodes = at.untried(nodes)
		n, done, err := s.balancer.Pick(ctx, nodes)
		if err == nil {
			at.add(n.Address)
		}
		return n, done, err
	}
	return s.balancer.Pick(ctx, nodes)
}

func noop(context.Context, DoneInfo) {}
