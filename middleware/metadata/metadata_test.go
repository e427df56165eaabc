package metadata_test

import (
	"context"
	"testing"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/metadata"
	mdmw "github.com/goxkit/gox/middleware/metadata"
	"github.com/goxkit/gox/transport"
)

func TestPropagatesThroughAService(t *testing.T) {
	in := goxtest.NewTransport(transport.KindHTTP, "GET /a")
	in.Request.Set("X-Md-Tenant", "acme")
	in.Request.Set("Authorization", "secret")
	out := goxtest.NewTransport(transport.KindGRPC, "/b.B/Call")

	server := mdmw.Server("")(func(ctx context.Context, _ any) (any, error) {
		md, _ := metadata.FromServerContext(ctx)
		if md.Get("x-md-tenant") != "acme" || md.Get("authorization") != "" {
			t.Errorf("server md = %v", md)
		}
		ctx = metadata.AppendToClientContext(ctx, "user", "7")
		cctx := transport.NewClientContext(ctx, out)
		return mdmw.Client("")(func(context.Context, any) (any, error) { return nil, nil })(cctx, nil)
	})
	_, _ = server(goxtest.ServerContext(context.Background(), in), nil)
	if out.Request.Get("x-md-tenant") != "acme" || out.Request.Get("x-md-user") != "7" {
		t.Fatalf("outgoing headers %v", out.Request)
	}
	if out.Request.Get("authorization") != "" {
		t.Fatal("a non-metadata header was propagated")
	}
}
