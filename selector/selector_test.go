package selector_test

import (
	"context"
	stderrors "errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/selector"
)

func nodes(weights ...int) []*selector.Node {
	var out []*selector.Node
	for i, w := range weights {
		ins := &registry.ServiceInstance{ID: fmt.Sprint("n", i), Name: "svc", Version: "v1",
			Metadata: map[string]string{"weight": fmt.Sprint(w), "zone": []string{"a", "b"}[i%2]}}
		out = append(out, selector.NewNode(fmt.Sprintf("10.0.0.%d:80", i+1), ins))
	}
	return out
}

// picks makes n picks and counts them by address; every call is done at once.
func picks(t *testing.T, s *selector.Selector, ctx context.Context, n int) map[string]int {
	t.Helper()
	return picksDone(t, s, ctx, n, func(*selector.Node) selector.DoneInfo { return selector.DoneInfo{} })
}

// picksDone is picks with the outcome of each call given by info, from the
// node picked.
func picksDone(t *testing.T, s *selector.Selector, ctx context.Context, n int, info func(*selector.Node) selector.DoneInfo) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		node, done, err := s.Pick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got[node.Address]++
		done(ctx, info(node))
	}
	return got
}

// Weighted round robin gives each node its share of 10,000 picks within 5%,
// and interleaves them.
func TestWeightedRoundRobinShares(t *testing.T) {
	ns := nodes(100, 200, 700)
	s := selector.New("svc", selector.NewWeightedRoundRobin())
	s.Apply(ns)
	got := picks(t, s, context.Background(), 10000)
	for i, want := range []float64{1000, 2000, 7000} {
		if n := float64(got[ns[i].Address]); math.Abs(n-want)/want > 0.05 {
			t.Fatalf("node of weight %d got %v of 10000 picks; want %v ± 5%%", ns[i].Weight, n, want)
		}
	}
	s2 := selector.New("svc", selector.NewWeightedRoundRobin())
	s2.Apply(nodes(500, 100, 100))
	var seq []string
	for range 7 {
		n, _, _ := s2.Pick(context.Background())
		seq = append(seq, n.Instance.ID)
	}
	if strings.Join(seq, " ") != "n0 n0 n1 n0 n2 n0 n0" {
		t.Fatalf("sequence %v: not smooth (want n0 n0 n1 n0 n2 n0 n0)", seq)
	}
}

func TestRoundRobinAndRandomSpread(t *testing.T) {
	for name, b := range map[string]selector.Balancer{"round robin": selector.NewRoundRobin(), "random": selector.NewRandom()} {
		s := selector.New("svc", b)
		s.Apply(nodes(100, 100, 100, 100))
		for addr, n := range picks(t, s, context.Background(), 8000) {
			if n < 1700 || n > 2300 {
				t.Fatalf("%s: %s got %d of 8000 picks; want about 2000", name, addr, n)
			}
		}
	}
}

// P2C moves most traffic off an instance that became slow, and gives it
// work again once it is well (the probe).
func TestP2CAvoidsASlowInstance(t *testing.T) {
	ns := nodes(100, 100, 100)
	p := selector.NewP2C()
	s := selector.New("svc", p)
	s.Apply(ns)
	ctx := context.Background()
	slow := ns[2].Address
	run := func(n int, slowLatency time.Duration) map[string]int {
		return picksDone(t, s, ctx, n, func(node *selector.Node) selector.DoneInfo {
			if node.Address == slow {
				return selector.DoneInfo{Latency: slowLatency}
			}
			return selector.DoneInfo{Latency: time.Millisecond}
		})
	}
	if got := run(3000, time.Millisecond); got[slow] < 800 {
		t.Fatalf("while all are equal the third node got %d of 3000", got[slow])
	}
	run(500, 50*time.Millisecond) // it becomes slow
	if got := run(5000, 50*time.Millisecond); got[slow] > 250 {
		t.Fatalf("the slow node still got %d of 5000 picks; want under 5%%", got[slow])
	}
	// errors count against a node too
	failing := ns[0].Address
	got := map[string]int{}
	for i := range 3000 {
		node, done, _ := s.Pick(ctx)
		var err error
		lat := time.Millisecond
		switch node.Address {
		case failing:
			err = stderrors.New("boom")
		case slow:
			lat = 50 * time.Millisecond
		}
		done(ctx, selector.DoneInfo{Latency: lat, Err: err})
		if i >= 1000 {
			got[node.Address]++
		}
	}
	if got[failing] > got[ns[1].Address]/10 {
		t.Fatalf("the failing node got %d picks, the healthy one %d", got[failing], got[ns[1].Address])
	}
	p.ProbeAfter = 10 * time.Millisecond
	time.Sleep(20 * time.Millisecond)
	if got := run(200, time.Millisecond); got[slow] == 0 {
		t.Fatal("the slow node was never probed again")
	}
}

// The same key goes to the same node; when a node leaves only its keys move.
func TestConsistentHash(t *testing.T) {
	ns := nodes(100, 100, 100, 100)
	s := selector.New("svc", selector.NewConsistentHash(0))
	s.Apply(ns)
	owner := map[string]string{}
	for i := range 2000 {
		key := fmt.Sprint("user-", i)
		n, _, _ := s.Pick(selector.NewHashKeyContext(context.Background(), key))
		owner[key] = n.Address
		again, _, _ := s.Pick(selector.NewHashKeyContext(context.Background(), key))
		if again.Address != n.Address {
			t.Fatalf("key %s went to %s then %s", key, n.Address, again.Address)
		}
	}
	per := map[string]int{}
	for _, a := range owner {
		per[a]++
	}
	for a, n := range per {
		if n < 300 || n > 700 {
			t.Fatalf("%s owns %d of 2000 keys; want about 500", a, n)
		}
	}
	s.Apply(ns[:3]) // node 4 leaves
	moved := 0
	for key, was := range owner {
		n, _, _ := s.Pick(selector.NewHashKeyContext(context.Background(), key))
		if n.Address != was {
			moved++
			if was != ns[3].Address {
				t.Fatalf("key %s moved from %s, which is still there", key, was)
			}
		}
	}
	if moved != per[ns[3].Address] {
		t.Fatalf("%d keys moved; want the %d of the node that left", moved, per[ns[3].Address])
	}
}

func TestFiltersAndNoInstance(t *testing.T) {
	ns := nodes(100, 100, 100)
	ns[1].Instance.Version = "v2"
	s := selector.New("svc", selector.NewRoundRobin(), selector.WithVersion("v1"))
	s.Apply(ns)
	for range 10 {
		n, _, _ := s.Pick(context.Background(), selector.WithMetadata("zone", "a"))
		if n.Version() != "v1" || n.Instance.Metadata["zone"] != "a" {
			t.Fatalf("picked %+v", n.Instance)
		}
	}
	_, _, err := s.Pick(context.Background(), selector.WithMetadata("zone", "mars"))
	if !errors.IsUnavailable(err) || !strings.Contains(err.Error(), "service svc has 3 instances but none passes the filters") {
		t.Fatalf("no node passes: %v", err)
	}
	empty := selector.New("billing", nil)
	start := time.Now()
	_, _, err = empty.Pick(context.Background())
	if !errors.IsUnavailable(err) || !strings.Contains(err.Error(), "service billing has no instance") || time.Since(start) > 10*time.Millisecond {
		t.Fatalf("no instance: %v (after %v)", err, time.Since(start))
	}
}

func TestWeightFromMetadata(t *testing.T) {
	for in, want := range map[string]int{"": 100, "5": 5, "-3": 100, "heavy": 100} {
		n := selector.NewNode("a:1", &registry.ServiceInstance{Metadata: map[string]string{"weight": in}})
		if n.Weight != want {
			t.Fatalf("weight %q read as %d; want %d", in, n.Weight, want)
		}
	}
}
