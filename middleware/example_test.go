package middleware_test

import (
	"context"
	"fmt"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

func ExampleSelect() {
	adminOnly := func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, _ := transport.FromServerContext(ctx)
			if tr.RequestHeader().Get("Authorization") != "Bearer secret" {
				return nil, errors.Unauthorized("", "admin token required")
			}
			return next(ctx, req)
		}
	}
	chain := middleware.Chain(middleware.Select(middleware.Prefix("GET /admin/"), adminOnly))
	h := chain(func(context.Context, any) (any, error) { return "ok", nil })

	for _, op := range []string{"GET /admin/stats", "GET /ping"} {
		ctx := goxtest.ServerContext(context.Background(), goxtest.NewTransport(transport.KindHTTP, op))
		reply, err := h(ctx, nil)
		fmt.Println(op, reply, errors.Code(err))
	}
	// Output:
	// GET /admin/stats <nil> 401
	// GET /ping ok 200
}
