package bench

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/goxkit/gox/contrib/registry/gossip"
	"github.com/goxkit/gox/registry"
)

// BenchmarkGossipConvergence measures, on loopback, how long a gossip
// cluster of n members takes to agree:
//   - join: from the start of n members (each registering one instance,
//     all seeded with the first) until every member sees n instances;
//   - fail: from one member halting (a crash: no leave) until every other
//     member has dropped its instance, with a dead timeout of 2 s.
//
// ns/op is one convergence; the custom metric ms/converge is the same in
// milliseconds.
func BenchmarkGossipConvergence(b *testing.B) {
	for _, n := range []int{3, 5} {
		b.Run(fmt.Sprintf("join-%d", n), func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				start := time.Now()
				members := cluster(b, n)
				converge(b, members, n)
				total += time.Since(start)
				b.StopTimer()
				closeAll(members)
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/converge")
		})
		b.Run(fmt.Sprintf("fail-%d", n), func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				members := cluster(b, n)
				converge(b, members, n)
				b.StartTimer()
				start := time.Now()
				members[n-1].Halt()
				converge(b, members[:n-1], n-1)
				total += time.Since(start)
				b.StopTimer()
				closeAll(members)
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/converge")
		})
	}
}

func cluster(b *testing.B, n int) []*gossip.Registry {
	var members []*gossip.Registry
	var seed string
	for i := range n {
		c := gossip.Config{BindAddr: "127.0.0.1", Port: -1, DeadTimeout: 2 * time.Second, SyncInterval: time.Second}
		if seed != "" {
			c.Seeds = []string{seed}
		}
		m, err := gossip.Open(c, gossip.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			seed = m.Addr()
		}
		ins := &registry.ServiceInstance{ID: fmt.Sprint("m", i), Name: "conv", Endpoints: []string{"http://127.0.0.1:1"}}
		if err := m.Register(context.Background(), ins); err != nil {
			b.Fatal(err)
		}
		members = append(members, m)
	}
	return members
}

// converge waits until every member sees want instances.
func converge(b *testing.B, members []*gossip.Registry, want int) {
	deadline := time.Now().Add(30 * time.Second)
	for _, m := range members {
		for {
			set, _ := m.GetService(context.Background(), "conv")
			if len(set) == want {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("members did not converge on %d instances within 30 s", want)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func closeAll(members []*gossip.Registry) {
	for _, m := range members {
		_ = m.Close()
	}
}
