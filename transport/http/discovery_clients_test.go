package http_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/registry"
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
	set := clientsOf(reg, registry.ClientsOptions{MaxSize: 16})
	before := runtime.NumGoroutine()
	for i := range 20000 {
		c, release, err := set.Get(context.Background(), fmt.Sprint("made-up-", i))
		if err != nil {
			t.Fatal(err)
		}
		_ = c
		release()
	}
	if set.Len() != 16 {
		t.Fatalf("the set holds %d clients, MaxSize 16", set.Len())
	}
	if n := goxtest.Goroutines(before+16, 5*time.Second); n > before+16 {
		t.Fatalf("goroutines: %d before, %d after 20,000 names (16 clients kept)", before, n)
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	if n := goxtest.Goroutines(before, 5*time.Second); n > before {
		t.Fatalf("goroutines: %d before, %d after Close", before, n)
	}
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
