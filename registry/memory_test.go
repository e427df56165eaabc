package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/registry/registrytest"
)

func TestMemoryContract(t *testing.T) {
	shared := map[*testing.T]*registry.Memory{}
	registrytest.Run(t, func(t *testing.T) registry.Registry {
		if m, ok := shared[t]; ok {
			return m
		}
		shared[t] = registry.NewMemory()
		return shared[t]
	}, registrytest.Options{})
}

// Memory passes the discovery-only contract too, fed by Register and
// Deregister; the contract itself is checked on a backend known to work.
func TestMemoryDiscoveryContract(t *testing.T) {
	m := registry.NewMemory()
	published := map[string][]*registry.ServiceInstance{}
	registrytest.RunDiscovery(t, m, func(t *testing.T, svc string, set []*registry.ServiceInstance) {
		for _, old := range published[svc] {
			_ = m.Deregister(context.Background(), old)
		}
		for _, ins := range set {
			if err := m.Register(context.Background(), ins); err != nil {
				t.Fatal(err)
			}
		}
		published[svc] = set
	}, registrytest.Options{Within: time.Second})
}
