package middleware_test

import (
	"context"
	"slices"
	"testing"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

func tag(name string, trail *[]string) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			*trail = append(*trail, name)
			return next(ctx, req)
		}
	}
}

func TestChainOrder(t *testing.T) {
	var trail []string
	h := middleware.Chain(tag("a", &trail), tag("b", &trail), tag("c", &trail))(func(context.Context, any) (any, error) {
		trail = append(trail, "h")
		return "ok", nil
	})
	reply, err := h(context.Background(), nil)
	if err != nil || reply != "ok" {
		t.Fatal(reply, err)
	}
	if want := []string{"a", "b", "c", "h"}; !slices.Equal(trail, want) {
		t.Fatalf("order %v, want %v", trail, want)
	}
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name  string
		match middleware.Matcher
		op    string
		want  bool
	}{
		{"exact hit", middleware.Exact("GET /users/:id"), "GET /users/:id", true},
		{"exact miss", middleware.Exact("GET /users/:id"), "GET /users", false},
		{"prefix hit", middleware.Prefix("/user.v1.User/"), "/user.v1.User/Get", true},
		{"prefix miss", middleware.Prefix("/user.v1.User/"), "/order.v1.Order/Get", false},
		{"regex hit", middleware.Regex(`^(GET|POST) /admin/`), "POST /admin/users", true},
		{"regex miss", middleware.Regex(`^(GET|POST) /admin/`), "DELETE /admin/users", false},
		{"not", middleware.Not(middleware.Exact("GET /ping")), "GET /ping", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var trail []string
			h := middleware.Select(tt.match, tag("selected", &trail))(func(context.Context, any) (any, error) { return nil, nil })
			ctx := goxtest.ServerContext(context.Background(), goxtest.NewTransport(transport.KindHTTP, tt.op))
			_, _ = h(ctx, nil)
			if got := len(trail) == 1; got != tt.want {
				t.Fatalf("applied = %v, want %v", got, tt.want)
			}
		})
	}
}
