package consul

import (
	"encoding/json"
	"log/slog"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
)

// FuzzDecode feeds decode the services an agent returns, as any process
// that can register with Consul may have written them (gox, kratos, or
// something else): what it takes is a valid instance whose endpoints a
// client can dial (scheme://host), and registering that instance again
// gives it back unchanged.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"ID":"orders-1","Service":"orders","Tags":["version=v1.2.0"],"Meta":{"weight":"5"},"Address":"10.0.0.7","Port":8080,
		  "TaggedAddresses":{"http":{"Address":"http://10.0.0.7:8080","Port":8080},"grpc":{"Address":"grpc://10.0.0.7:9090","Port":9090},
		  "lan_ipv4":{"Address":"10.0.0.7","Port":8080}}}`,
		`{"ID":"k-1","Service":"kratos","TaggedAddresses":{"grpc":{"Address":"10.0.0.8","Port":9000}}}`,
		`{"ID":"plain","Service":"web","Address":"10.0.0.9","Port":80}`,
		`{"ID":"v6","Service":"web","Address":"::1","Port":80}`,
		`{"ID":"bad","Service":"web","TaggedAddresses":{"http":{"Address":"not a url/","Port":0}}}`,
		`{"ID":"odd","Service":"web","TaggedAddresses":{"ht tp":{"Address":"h","Port":1},"x":{"Address":"a b","Port":2}}}`,
		`{"ID":"pct","Service":"web","Address":"%zz","Port":1}`,
		`{"ID":"","Service":"","Port":-1}`, `{}`, `null`,
	} {
		f.Add([]byte(seed))
	}
	r := &Registry{cfg: Config{Check: "ttl", CheckTTL: 10 * time.Second, DeregisterCriticalAfter: time.Minute},
		logger: slog.New(slog.DiscardHandler)}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var s api.AgentService
		if json.Unmarshal(raw, &s) != nil {
			return // not what an agent sends
		}
		ins := r.decode(&s)
		if ins == nil {
			return
		}
		if err := ins.Validate(); err != nil {
			t.Fatalf("took an invalid instance: %v", err)
		}
		for _, e := range ins.Endpoints {
			if u, err := url.Parse(e); err != nil || u.Scheme == "" || u.Host == "" {
				t.Fatalf("took endpoint %q, which no client can dial (%v)", e, err)
			}
		}
		reg, err := r.registration(ins)
		if err != nil {
			return // a form gox does not register (two endpoints of a scheme, a key Consul refuses)
		}
		again := r.decode(&api.AgentService{ID: reg.ID, Service: reg.Name, Tags: reg.Tags, Meta: reg.Meta,
			Address: reg.Address, Port: reg.Port, TaggedAddresses: reg.TaggedAddresses})
		if again == nil {
			t.Fatalf("an instance taken from Consul, registered again, is not taken: %+v", ins)
		}
		a, b := *ins, *again
		slices.Sort(a.Endpoints)
		slices.Sort(b.Endpoints)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Fatalf("registered again, the instance changed:\n%s\n%s", ja, jb)
		}
	})
}
