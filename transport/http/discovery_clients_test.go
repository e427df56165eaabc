package http_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/registry/registrytest"
	xhttp "github.com/goxkit/gox/transport/http"
)

func clientsOf(reg registry.Discovery, o registry.ClientsOptions) *registry.Clients[*xhttp.Client] {
	return registry.NewClients(func(name string) (*xhttp.Client, error) {
		return xhttp.NewClient("discovery:///"+name, xhttp.WithDiscovery(reg, nil))
	}, o)
}

// Closing a discovery client ends its watch: 20,000 clients of names that
// have no instance, made and pushed out of a bounded set, leave as many
// goroutines as there were before.
func TestDiscoveryClientsFloodLeavesGoroutinesFlat(t *testing.T) {
	reg := registry.NewMemory()
	registrytest.FloodClients(t, func(name string) (*xhttp.Client, error) {
		return xhttp.NewClient("discovery:///"+name, xhttp.WithDiscovery(reg, nil))
	}, 20000, 16)
}

// A client pushed out of the set while a call holds it still answers that
// call; it closes when released.
func TestDiscoveryClientHeldWhilePushedOut(t *testing.T) {
	reg := registry.NewMemory()
	whoInstance(t, reg, "users", "u1")
	set := clientsOf(reg, registry.ClientsOptions{MaxSize: 1})
	defer set.Close()
	users, release, err := set.Get(context.Background(), "users")
	if err != nil {
		t.Fatal(err)
	}
	_, releaseOther, err := set.Get(context.Background(), "orders") // pushes users out
	if err != nil {
		t.Fatal(err)
	}
	defer releaseOther()
	got, err := xhttp.Call[who](context.Background(), users, http.MethodGet, "/who", nil)
	if err != nil || got.Name != "u1" {
		t.Fatalf("a call on a held client pushed out of the set = %+v, %v", got, err)
	}
	release()
}
