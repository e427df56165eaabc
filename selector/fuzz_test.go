package selector_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/selector"
)

// FuzzNodesOf feeds NodesOf the endpoints and weight of an instance as a
// peer advertised them (one endpoint a line): every node it makes has the
// host of a usable endpoint of a scheme asked for, and a positive weight;
// an instance with a usable endpoint always gets its node; nothing panics.
func FuzzNodesOf(f *testing.F) {
	for _, seed := range []struct{ endpoints, weight string }{
		{"http://10.0.0.7:8080\ngrpc://10.0.0.7:9090", "100"},
		{"https://[::1]:8443", "5"},
		{"http://%zz:1\nhttp://10.0.0.7:8080", ""},
		{"grpc://\nhttp://", "-3"},
		{"10.0.0.7:8080\nhttp:/x\nhttp:///path", "x"},
		{"HTTP://UPPER:1\nhttp://a b:1", "99999999999999999999"},
		{"http://user:pw@h:1/p?q#f", "0"},
		{"", ""},
	} {
		f.Add(seed.endpoints, seed.weight)
	}
	f.Fuzz(func(t *testing.T, endpoints, weight string) {
		ins := &registry.ServiceInstance{ID: "i", Name: "s", Endpoints: strings.Split(endpoints, "\n"),
			Metadata: map[string]string{"weight": weight}}
		for _, schemes := range [][]string{{"grpc"}, {"http", "https"}} {
			nodes, bad := selector.NodesOf([]*registry.ServiceInstance{ins, nil}, schemes...)
			usable := ""
			for _, s := range schemes {
				for _, e := range ins.Endpoints {
					if u, err := url.Parse(e); usable == "" && err == nil && u.Host != "" && strings.HasPrefix(e, s+"://") {
						usable = u.Host
					}
				}
			}
			if (usable != "") != (len(nodes) == 1) || len(nodes) > 1 {
				t.Fatalf("%q over %v: %d nodes; usable endpoint host %q", endpoints, schemes, len(nodes), usable)
			}
			for _, b := range bad {
				if !strings.HasPrefix(b, "i: ") {
					t.Fatalf("a bad endpoint reported without its instance: %q", b)
				}
			}
			if len(nodes) == 1 {
				n := nodes[0]
				if n.Address != usable || n.Weight <= 0 || n.Instance != ins {
					t.Fatalf("%q over %v: node %+v; want address %q and a positive weight", endpoints, schemes, n, usable)
				}
			}
		}
	})
}
