package registry_test

import (
	"testing"

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
