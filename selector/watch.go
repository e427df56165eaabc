package selector

import (
	"context"
	stderrors "errors"
	"net/url"
	"strings"
	"time"

	"github.com/goxkit/gox/registry"
)

// NodesOf returns the nodes of the instances that have an endpoint with one
// of schemes ("grpc"; "http", "https"), in the order given: the first
// scheme an instance has a usable endpoint of wins, and its first such
// endpoint. Endpoints that do not parse as URLs with a host (malformed
// metadata from a peer) are skipped, and those met before a usable one are
// reported in bad.
func NodesOf(set []*registry.ServiceInstance, schemes ...string) (nodes []*Node, bad []string) {
	for _, ins := range set {
		n, b := nodeOf(ins, schemes)
		if n != nil {
			nodes = append(nodes, n)
		}
		bad = append(bad, b...)
	}
	return nodes, bad
}

func nodeOf(ins *registry.ServiceInstance, schemes []string) (n *Node, bad []string) {
	if ins == nil {
		return nil, nil
	}
	for _, scheme := range schemes {
		for _, ep := range ins.Endpoints {
			if !strings.HasPrefix(ep, scheme+"://") {
				continue
			}
			u, err := url.Parse(ep)
			if err != nil || u.Host == "" {
				bad = append(bad, ins.ID+": "+ep)
				continue
			}
			n := NewNode(u.Host, ins)
			n.Scheme = scheme
			return n, bad
		}
	}
	return nil, bad
}

// Follow reads w until it stops, calling update with each new set of
// instances, or with the error of a failed read; after an error it waits
// (100 ms doubling up to 5 s) and reads again, so a watch whose backend came
// back resumes. It returns when w is stopped or ctx ends.
func Follow(ctx context.Context, w registry.Watcher, update func([]*registry.ServiceInstance, error)) {
	wait := 100 * time.Millisecond
	for {
		set, err := w.Next()
		if err != nil {
			if stderrors.Is(err, registry.ErrWatcherStopped) || ctx.Err() != nil {
				return
			}
			update(nil, err)
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
			wait = min(2*wait, 5*time.Second)
			continue
		}
		wait = 100 * time.Millisecond
		update(set, nil)
	}
}
