package transport_test

import (
	"context"
	"testing"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/transport"
)

// The server Transporter is found on its own node, under nodes added after
// it, and not on a node without one or on a context without the node.
func TestFromServerContext(t *testing.T) {
	tr := goxtest.NewTransport(transport.KindHTTP, "GET /x")
	node := transport.NewServerContext(context.Background(), tr)
	type k struct{}
	below := context.WithValue(context.WithValue(node, k{}, 1), k{}, 2)
	for name, ctx := range map[string]context.Context{"node": node, "below": below} {
		if got, ok := transport.FromServerContext(ctx); !ok || got != transport.Transporter(tr) {
			t.Errorf("%s: %v, %v", name, got, ok)
		}
		if _, ok := transport.FromClientContext(ctx); ok {
			t.Errorf("%s: a server Transporter found as the client's", name)
		}
	}
	for name, ctx := range map[string]context.Context{
		"background": context.Background(),
		"nil node":   context.WithValue(transport.NewServerContext(context.Background(), nil), k{}, 1),
		"client":     transport.NewClientContext(context.Background(), tr),
	} {
		if got, ok := transport.FromServerContext(ctx); ok || got != nil {
			t.Errorf("%s: %v, %v", name, got, ok)
		}
	}
}
