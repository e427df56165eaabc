package auth_test

import (
	"context"
	"testing"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/auth"
	"github.com/goxkit/gox/transport"
)

// WithPublic adds operations to the config's public ones; a call with no
// server transport (no header to read a token from) is refused; a queue
// message carries its token in its headers like a request.
func TestMiddlewareOutsideTheServers(t *testing.T) {
	k := keys()
	clk := newClock()
	a := newAuth(t, staticConfig(t), auth.WithClock(clk.Now), auth.WithPublic(middleware.Prefix("GET /docs/")))
	called := 0
	h := a.Middleware()(func(ctx context.Context, _ any) (any, error) {
		called++
		c, _ := auth.FromContext(ctx)
		return c, nil
	})
	docs := goxtest.ServerContext(context.Background(), goxtest.NewTransport(transport.KindHTTP, "GET /docs/index.html"))
	if _, err := h(docs, nil); err != nil || called != 1 {
		t.Fatalf("public by option: %v", err)
	}
	if _, err := h(context.Background(), nil); !auth.ErrUnauthenticated.Is(err) || called != 1 {
		t.Fatalf("no transport: %v; want UNAUTHENTICATED", err)
	}
	tr := goxtest.NewTransport(transport.KindQueue, "orders.created")
	tr.Request.Set("Authorization", bearer(mustIssue(t, issuer(auth.EdDSA, "ed", k.ed, clk), "svc-billing", nil)))
	got, err := h(goxtest.ServerContext(context.Background(), tr), nil)
	if err != nil || got.(*auth.Claims).Subject != "svc-billing" {
		t.Fatalf("queue message: %v %v", got, err)
	}
	if tr.Reply.Get("WWW-Authenticate") != "" {
		t.Fatal("a challenge outside HTTP")
	}
}
