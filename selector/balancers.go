package selector

import (
	"context"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// RoundRobin hands out nodes in turn.
type RoundRobin struct{ n atomic.Uint64 }

// NewRoundRobin returns a round-robin balancer.
func NewRoundRobin() *RoundRobin { return &RoundRobin{} }

// Pick implements Balancer.
func (r *RoundRobin) Pick(_ context.Context, nodes []*Node) (*Node, Done, error) {
	i := r.n.Add(1) - 1
	return nodes[i%uint64(len(nodes))], noop, nil
}

// Random picks uniformly.
type Random struct{}

// NewRandom returns a random balancer.
func NewRandom() Random { return Random{} }

// Pick implements Balancer.
func (Random) Pick(_ context.Context, nodes []*Node) (*Node, Done, error) {
	return nodes[rand.IntN(len(nodes))], noop, nil
}

// WeightedRoundRobin is the smooth weighted round robin of nginx: over any
// window each node gets picks in proportion to its weight, interleaved
// (weights 5, 1, 1 give a a b a c a a, not a a a a a b c).
type WeightedRoundRobin struct {
	mu      sync.Mutex
	current map[string]int // by address
}

// NewWeightedRoundRobin returns a smooth weighted round-robin balancer.
func NewWeightedRoundRobin() *WeightedRoundRobin {
	return &WeightedRoundRobin{current: map[string]int{}}
}

// Pick implements Balancer.
func (w *WeightedRoundRobin) Pick(_ context.Context, nodes []*Node) (*Node, Done, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	total := 0
	var best *Node
	bestCur := math.MinInt
	for _, n := range nodes {
		cur := w.current[n.Address] + n.Weight
		w.current[n.Address] = cur
		total += n.Weight
		if cur > bestCur {
			best, bestCur = n, cur
		}
	}
	w.current[best.Address] -= total
	forgetLeft(w.current, nodes)
	return best, noop, nil
}

// forgetLeft drops from a balancer's per-address state the nodes that are
// no longer among nodes, once the state holds over twice as many addresses
// as there are nodes: instances that come and go do not make it grow.
func forgetLeft[V any](state map[string]V, nodes []*Node) {
	if len(state) <= 2*len(nodes) {
		return
	}
	live := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		live[n.Address] = true
	}
	for a := range state {
		if !live[a] {
			delete(state, a)
		}
	}
}

// hashKey carries the consistent-hash key.
type hashKey struct{}

// NewHashKeyContext returns ctx whose calls ConsistentHash sends to the node key
// maps to (a user id, a tenant: the same key, the same instance while the
// instances stay the same).
func NewHashKeyContext(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, hashKey{}, key)
}

// ConsistentHash maps a key from the context onto a ring of virtual nodes;
// calls without a key go to a random node. When a node leaves, only its
// keys move.
type ConsistentHash struct {
	replicas int
	mu       sync.Mutex
	ringFor  uint64 // hash of the node set the ring was built for
	ring     []uint32
	owner    map[uint32]*Node
}

// NewConsistentHash returns a ring with replicas virtual nodes per weight
// unit of 100 (default 160).
func NewConsistentHash(replicas int) *ConsistentHash {
	if replicas <= 0 {
		replicas = 160
	}
	return &ConsistentHash{replicas: replicas}
}

// Pick implements Balancer.
func (c *ConsistentHash) Pick(ctx context.Context, nodes []*Node) (*Node, Done, error) {
	key, ok := ctx.Value(hashKey{}).(string)
	if !ok {
		return nodes[rand.IntN(len(nodes))], noop, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.build(nodes)
	h := crc32.ChecksumIEEE([]byte(key))
	i := sort.Search(len(c.ring), func(i int) bool { return c.ring[i] >= h })
	if i == len(c.ring) {
		i = 0
	}
	return c.owner[c.ring[i]], noop, nil
}

// build rebuilds the ring when the node set changed; callers hold mu.
func (c *ConsistentHash) build(nodes []*Node) {
	// FNV-1a over addresses and weights: no allocation per pick
	sig := uint64(14695981039346656037)
	for _, n := range nodes {
		for i := 0; i < len(n.Address); i++ {
			sig = (sig ^ uint64(n.Address[i])) * 1099511628211
		}
		sig = (sig ^ uint64(n.Weight) ^ ';') * 1099511628211
	}
	if sig == c.ringFor && c.owner != nil {
		return
	}
	c.ringFor, c.ring, c.owner = sig, c.ring[:0], map[uint32]*Node{}
	for _, n := range nodes {
		v := max(1, c.replicas*n.Weight/DefaultWeight)
		for r := range v {
			h := crc32.ChecksumIEEE([]byte(n.Address + "#" + strconv.Itoa(r)))
			if _, taken := c.owner[h]; !taken {
				c.owner[h] = n
				c.ring = append(c.ring, h)
			}
		}
	}
	sort.Slice(c.ring, func(i, j int) bool { return c.ring[i] < c.ring[j] })
}

// P2C is power of two choices: of two random nodes it picks the one with
// the lower load — its latency EWMA times the calls in flight plus one,
// divided by its weight, and raised by its recent errors. A node no call
// went to for ProbeAfter is picked once, so a node that recovered is found
// again, and so is a new node that never won on load. It is the default
// balancer.
type P2C struct {
	mu    sync.Mutex
	stats map[string]*stat
	// ProbeAfter: a node not picked for this long is picked (default 3 s).
	ProbeAfter time.Duration
	now        func() time.Time
}

type stat struct {
	ewma     float64 // latency, ns
	success  float64 // EWMA of 1 (ok) and 0 (error)
	inflight atomic.Int64
	lastPick atomic.Int64 // unix ns
}

// NewP2C returns the P2C balancer.
func NewP2C() *P2C {
	return &P2C{stats: map[string]*stat{}, ProbeAfter: 3 * time.Second, now: time.Now}
}

// decay is how much one observation moves the EWMAs.
const decay = 0.3

// initialLatency is what a node is assumed to take before its first call
// ended: optimistic, so new nodes get traffic.
const initialLatency = float64(time.Millisecond)

func (p *P2C) stat(n *Node) *stat {
	s, ok := p.stats[n.Address]
	if !ok {
		s = &stat{ewma: initialLatency, success: 1}
		// as if picked now: a node that never wins on load is still
		// probed once ProbeAfter has passed
		s.lastPick.Store(p.now().UnixNano())
		p.stats[n.Address] = s
	}
	return s
}

func (p *P2C) load(n *Node, s *stat) float64 {
	return s.ewma * float64(s.inflight.Load()+1) / (float64(n.Weight) * (s.success*s.success + 0.01))
}

// Pick implements Balancer.
func (p *P2C) Pick(_ context.Context, nodes []*Node) (*Node, Done, error) {
	now := p.now()
	p.mu.Lock()
	var pick *Node
	var ps *stat
	if len(nodes) == 1 {
		pick, ps = nodes[0], p.stat(nodes[0])
	} else {
		i := rand.IntN(len(nodes))
		j := rand.IntN(len(nodes) - 1)
		if j >= i {
			j++
		}
		a, b := nodes[i], nodes[j]
		sa, sb := p.stat(a), p.stat(b)
		if p.load(a, sa) > p.load(b, sb) {
			a, b, sa, sb = b, a, sb, sa
		}
		pick, ps = a, sa
		// the other one has not been tried for long: try it, it may be well again
		if now.UnixNano()-sb.lastPick.Load() > int64(p.ProbeAfter) {
			pick, ps = b, sb
		}
	}
	forgetLeft(p.stats, nodes)
	p.mu.Unlock()
	ps.lastPick.Store(now.UnixNano())
	ps.inflight.Add(1)
	return pick, func(_ context.Context, di DoneInfo) {
		ps.inflight.Add(-1)
		lat := di.Latency
		if lat <= 0 {
			lat = p.now().Sub(now)
		}
		ok := 1.0
		if di.Err != nil {
			ok = 0
		}
		p.mu.Lock()
		ps.ewma = ps.ewma*(1-decay) + float64(lat)*decay
		ps.success = ps.success*(1-decay) + ok*decay
		p.mu.Unlock()
	}, nil
}
