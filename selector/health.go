package selector

import (
	"context"
	stderrors "errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goxkit/gox/breaker"
	"github.com/goxkit/gox/errors"
)

// InstanceHealth is how a selector guards the instances of its service:
//
//   - a circuit breaker per instance (breaker.SRE, Google SRE adaptive
//     throttling): a pick whose instance's breaker rejects the call goes to
//     another instance; when every instance rejects, the pick fails at once
//     with Unavailable (reason CIRCUIT_OPEN);
//   - ejection (outlier detection, as Envoy's): an instance that fails
//     ConsecutiveFailures calls in a row gets no calls for Ejection, doubled
//     at each further ejection up to MaxEjection; never more than
//     MaxEjectedPercent of the instances at once, and when every instance is
//     ejected they are all used again rather than none.
//
// Failures are what Failed says: by default ServerFailure.
type InstanceHealth struct {
	// Disabled turns both off.
	Disabled bool
	// Breaker makes the breaker of one instance (default breaker.New()).
	Breaker func() *breaker.SRE
	// ConsecutiveFailures before an ejection (default 5; negative: never eject).
	ConsecutiveFailures int
	// Ejection is how long the first ejection lasts (default 10 s).
	Ejection time.Duration
	// MaxEjection caps an ejection's length (default 5 min).
	MaxEjection time.Duration
	// MaxEjectedPercent caps the share of instances ejected at once (default 50).
	MaxEjectedPercent int
	// Failed says whether a call's error counts against the instance
	// (default ServerFailure).
	Failed func(err error) bool
}

// ReasonCircuitOpen is the reason of the error a pick returns when the
// breaker of every instance rejected the call.
const ReasonCircuitOpen = "CIRCUIT_OPEN"

// ServerFailure says whether err means the instance, not the request, failed:
// a transport error (connection refused or reset, no reply), a timeout, or a
// reply of 502, 503 or 504. Errors the service answered with on purpose —
// 4xx, and 500 with a reason of the service's own — do not count; a 500 of
// an unexpected error (reason UNKNOWN or INTERNAL) or a panic (PANIC) does.
func ServerFailure(err error) bool {
	if err == nil || stderrors.Is(err, context.Canceled) {
		return false
	}
	e := errors.FromError(err)
	switch e.Code {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusInternalServerError:
		switch e.Reason {
		case errors.UnknownReason, errors.ReasonInternal, "PANIC":
			return true
		}
	}
	return false
}

func (h InstanceHealth) withDefaults() InstanceHealth {
	if h.Breaker == nil {
		h.Breaker = func() *breaker.SRE { return breaker.New() }
	}
	if h.ConsecutiveFailures == 0 {
		h.ConsecutiveFailures = 5
	}
	if h.Ejection <= 0 {
		h.Ejection = 10 * time.Second
	}
	if h.MaxEjection <= 0 {
		h.MaxEjection = 5 * time.Minute
	}
	if h.MaxEjectedPercent <= 0 {
		h.MaxEjectedPercent = 50
	}
	if h.Failed == nil {
		h.Failed = ServerFailure
	}
	return h
}

// nodeHealth is what the selector knows of one instance, kept by address
// across discovery updates.
type nodeHealth struct {
	breaker      *breaker.SRE
	failures     atomic.Int32 // in a row
	ejections    atomic.Int32 // so far, for the doubling
	ejectedUntil atomic.Int64 // unix ns; 0 when not ejected
}

// guard holds the nodes' health for one selector.
type guard struct {
	h   InstanceHealth
	now func() time.Time
	mu  sync.Mutex
	by  map[string]*nodeHealth
}

func newGuard(h InstanceHealth) *guard {
	return &guard{h: h.withDefaults(), now: time.Now, by: map[string]*nodeHealth{}}
}

// attach gives each node the health of its address, keeping what was
// learned of addresses that stay, forgetting those that left.
func (g *guard) attach(nodes []*Node) {
	g.mu.Lock()
	defer g.mu.Unlock()
	by := make(map[string]*nodeHealth, len(nodes))
	for _, n := range nodes {
		nh := g.by[n.Address]
		if nh == nil {
			nh = by[n.Address]
		}
		if nh == nil {
			nh = &nodeHealth{breaker: g.h.Breaker()}
		}
		by[n.Address] = nh
		n.health = nh
	}
	g.by = by
}

// live drops ejected nodes, unless that would drop them all.
func (g *guard) live(nodes []*Node) []*Node {
	now := g.now().UnixNano()
	ejected := 0
	for _, n := range nodes {
		if n.health != nil && n.health.ejectedUntil.Load() > now {
			ejected++
		}
	}
	if ejected == 0 || ejected == len(nodes) {
		return nodes
	}
	out := make([]*Node, 0, len(nodes)-ejected)
	for _, n := range nodes {
		if n.health == nil || n.health.ejectedUntil.Load() <= now {
			out = append(out, n)
		}
	}
	return out
}

// done records how a call to n went.
func (g *guard) done(n *Node, all []*Node, err error) {
	nh := n.health
	if nh == nil {
		return
	}
	if !g.h.Failed(err) {
		nh.breaker.Success()
		nh.failures.Store(0)
		return
	}
	nh.breaker.Failure()
	if g.h.ConsecutiveFailures < 0 || nh.failures.Add(1) < int32(g.h.ConsecutiveFailures) {
		return
	}
	now := g.now().UnixNano()
	if nh.ejectedUntil.Load() > now {
		return
	}
	ejected := 0
	for _, o := range all {
		if o.health != nil && o.health.ejectedUntil.Load() > now {
			ejected++
		}
	}
	if (ejected+1)*100 > g.h.MaxEjectedPercent*len(all) {
		return // ejecting it would leave too few
	}
	d := g.h.Ejection << min(nh.ejections.Add(1)-1, 16)
	nh.ejectedUntil.Store(now + int64(min(d, g.h.MaxEjection)))
	nh.failures.Store(0)
}

// Ejected says whether n is ejected now (for registry views and tests).
func (n *Node) Ejected() bool {
	return n.health != nil && n.health.ejectedUntil.Load() > time.Now().UnixNano()
}

// attempts records the nodes one call's attempts went to, so a retry goes
// elsewhere when it can.
type attempts struct {
	mu    sync.Mutex
	addrs []string
}

type attemptsKey struct{}

// NewAttemptsContext returns ctx in which the picks of one logical call remember
// the instances they chose: a retry made with it avoids the instances the
// earlier attempts went to while others are left. The retry middleware
// calls it.
func NewAttemptsContext(ctx context.Context) context.Context {
	if _, ok := ctx.Value(attemptsKey{}).(*attempts); ok {
		return ctx
	}
	return context.WithValue(ctx, attemptsKey{}, &attempts{})
}

func (a *attempts) untried(nodes []*Node) []*Node {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.addrs) == 0 {
		return nodes
	}
	out := make([]*Node, 0, len(nodes))
	for _, n := range nodes {
		tried := false
		for _, t := range a.addrs {
			tried = tried || t == n.Address
		}
		if !tried {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nodes
	}
	return out
}

func (a *attempts) add(addr string) {
	a.mu.Lock()
	a.addrs = append(a.addrs, addr)
	a.mu.Unlock()
}

// pickGuarded asks the balancer among live nodes, skipping those whose
// breaker rejects the call.
func (s *Selector) pickGuarded(ctx context.Context, nodes []*Node) (*Node, Done, error) {
	g := s.guard
	candidates := g.live(nodes)
	at, _ := ctx.Value(attemptsKey{}).(*attempts)
	if at != nil {
		candidates = at.untried(candidates)
	}
	for len(candidates) > 0 {
		n, done, err := s.balancer.Pick(ctx, candidates)
		if err != nil {
			return nil, nil, err
		}
		if n.health == nil || n.health.breaker.Allow() == nil {
			if at != nil {
				at.add(n.Address)
			}
			return n, func(ctx context.Context, di DoneInfo) {
				g.done(n, nodes, di.Err)
				done(ctx, di)
			}, nil
		}
		done(ctx, DoneInfo{Err: breaker.ErrOpen}) // the balancer learns nothing was sent
		candidates = without(candidates, n)
	}
	return nil, nil, errors.Unavailable(ReasonCircuitOpen,
		fmt.Sprintf("service %s: the circuit breaker of every instance (%d) rejected the call", s.service, len(nodes))).
		WithMetadata(map[string]string{"service": s.service})
}

func without(nodes []*Node, n *Node) []*Node {
	out := make([]*Node, 0, len(nodes)-1)
	for _, o := range nodes {
		if o != n {
			out = append(out, o)
		}
	}
	return out
}
