package casbin_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/goxkit/gox/contrib/authz/casbin"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/auth"
	"github.com/goxkit/gox/transport"
)

// An Authorizer over a policy file, asked about calls the way a server's
// chain asks it: bob is a reader, so he may GET a user but not DELETE one.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "authz")
	defer os.RemoveAll(dir)
	policy := filepath.Join(dir, "policy.csv")
	_ = os.WriteFile(policy, []byte("p, reader, /v1/users/:id, GET\ng, bob, reader\n"), 0o600)

	c := casbin.DefaultConfig() // DefaultModel, subject from sub, object = route template
	c.Policy = policy
	z, err := casbin.New(c)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer z.Close()

	handler := z.Middleware()(func(context.Context, any) (any, error) { return "ok", nil })
	for _, op := range []string{"GET /v1/users/:id", "DELETE /v1/users/:id"} {
		// a server puts its transport in the context; auth.Middleware the claims
		ctx := transport.NewServerContext(context.Background(), goxtest.NewTransport(transport.KindHTTP, op))
		ctx = auth.NewContext(ctx, &auth.Claims{Subject: "bob"})
		_, err := handler(ctx, nil)
		fmt.Println(op, "→", err == nil)
	}
	// Output:
	// GET /v1/users/:id → true
	// DELETE /v1/users/:id → false
}
