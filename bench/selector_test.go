package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/selector"
)

// BenchmarkSelectorPick is one pick and its done callback, per balancer,
// over 10 nodes, from all CPUs at once.
func BenchmarkSelectorPick(b *testing.B) {
	var nodes []*selector.Node
	for i := range 10 {
		ins := &registry.ServiceInstance{ID: fmt.Sprint(i), Name: "svc", Metadata: map[string]string{"weight": fmt.Sprint(50 + 10*i)}}
		nodes = append(nodes, selector.NewNode(fmt.Sprintf("10.0.0.%d:80", i), ins))
	}
	for _, bc := range []struct {
		name string
		b    selector.Balancer
	}{
		{"round-robin", selector.NewRoundRobin()},
		{"weighted-round-robin", selector.NewWeightedRoundRobin()},
		{"random", selector.NewRandom()},
		{"p2c-ewma", selector.NewP2C()},
		{"consistent-hash", selector.NewConsistentHash(0)},
	} {
		s := selector.New("svc", bc.b)
		s.Apply(nodes)
		ctx := selector.NewHashKeyContext(context.Background(), "user-42")
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, done, err := s.Pick(ctx)
					if err != nil {
						b.Fatal(err)
					}
					done(ctx, selector.DoneInfo{})
				}
			})
		})
	}
}
