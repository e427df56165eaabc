package casbin_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/goxkit/gox/contrib/authz/casbin"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/auth"
	"github.com/goxkit/gox/transport"
)

// checker runs z's middleware as an HTTP server's chain would, for the
// route op, the path asked for and the caller sub.
func checker(z *casbin.Authorizer) func(sub, op, path string) error {
	h := z.Middleware()(func(context.Context, any) (any, error) { return nil, nil })
	return func(sub, op, path string) error {
		ctx := transport.NewServerContext(context.Background(), goxtest.NewTransport(transport.KindHTTP, op))
		ctx = auth.NewContext(ctx, &auth.Claims{Subject: sub})
		r, _ := http.NewRequest(strings.Fields(op)[0], "http://svc"+path, nil)
		_, err := h(ctx, r)
		return err
	}
}

// A reload that takes a permission away is in force from the next call,
// though the call before was answered from the cache.
func TestCacheRevokedOnReload(t *testing.T) {
	z, path := newAuthorizer(t, func(c *casbin.Config) { c.Watch = false })
	check := checker(z)
	for range 2 { // the second from the cache
		if err := check("alice", "DELETE /v1/users/:id", "/v1/users/1"); err != nil {
			t.Fatalf("alice, admin, before: %v", err)
		}
	}
	if z.CachedDecisions() == 0 {
		t.Fatal("nothing cached")
	}
	replace(t, path, strings.ReplaceAll(testdata(t, "policy.csv"), "g, alice, admin", "g, alice, reader"))
	if err := z.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := check("alice", "DELETE /v1/users/:id", "/v1/users/1"); !errors.Is(err, casbin.ErrPermissionDenied) {
		t.Fatalf("alice, now a reader, may still delete: %v", err)
	}
	if err := check("alice", "GET /v1/users/:id", "/v1/users/1"); err != nil {
		t.Fatalf("alice may read: %v", err)
	}
}

// With object "path" every path a client sends is a new key: the cache
// stays at its bound however many there are, and keeps answering right.
func TestCacheBoundedByPathFlood(t *testing.T) {
	const bound = 1000
	z, path := newAuthorizer(t, func(c *casbin.Config) { c.Object, c.CacheSize, c.Watch = casbin.ObjectPath, bound, false })
	replace(t, path, "p, reader, /v1/users/*, GET\ng, bob, reader\n") // one p line: a cheaper miss
	if err := z.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	check := checker(z)
	for i := range 100_000 {
		path := "/v1/users/" + strconv.Itoa(i)
		sub := "bob" // a reader: GET allowed
		if i%2 == 1 {
			sub = "mallory" // no role
		}
		err := check(sub, "GET /v1/users/:id", path)
		if (err == nil) != (sub == "bob") {
			t.Fatalf("%s GET %s: %v", sub, path, err)
		}
		if n := z.CachedDecisions(); i%1000 == 0 && n > bound {
			t.Fatalf("after %d paths: %d decisions cached, bound %d", i+1, n, bound)
		}
	}
	if n := z.CachedDecisions(); n != bound {
		t.Fatalf("%d decisions cached, want the bound %d", n, bound)
	}
}

// cache_size 0 caches nothing, and answers the same.
func TestCacheOff(t *testing.T) {
	z, _ := newAuthorizer(t, func(c *casbin.Config) { c.CacheSize, c.Watch = 0, false })
	check := checker(z)
	for range 2 {
		if err := check("bob", "GET /v1/users/:id", "/v1/users/1"); err != nil {
			t.Fatal(err)
		}
		if err := check("bob", "DELETE /v1/users/:id", "/v1/users/1"); !errors.Is(err, casbin.ErrPermissionDenied) {
			t.Fatal(err)
		}
	}
	if n := z.CachedDecisions(); n != 0 {
		t.Fatalf("%d decisions cached with cache_size 0", n)
	}
}

// A model whose role links carry conditions (casbin's time windows) is
// never cached: the same request may be answered differently later.
func TestCacheOffForConditionalRoles(t *testing.T) {
	model := strings.Replace(testdata(t, "rbac_model.conf"), "g = _, _", "g = _, _, (_, _)", 1)
	var l logs
	z, _ := newAuthorizer(t, func(c *casbin.Config) {
		dir := t.TempDir()
		c.Model = file(t, dir, "conditional.conf", model)
		c.Policy = file(t, dir, "policy.csv", "p, admin, /v1/users/*, *\ng, alice, admin, 2000-01-01 00:00:00, 2999-01-01 00:00:00\n")
		c.Watch = false
	}, casbin.WithLogger(l.logger()))
	if err := checker(z)("alice", "GET /v1/users/:id", "/v1/users/1"); err != nil {
		t.Fatal(err)
	}
	if n := z.CachedDecisions(); n != 0 {
		t.Fatalf("%d decisions cached with conditional roles", n)
	}
	if !l.contains("decisions are not cached") || !l.contains("link conditions") {
		t.Fatalf("the log does not say why:\n%s", l.buf.String())
	}
}

// A function given with WithFunction under one of casbin's names is the
// one the checks call (casbin's AddFunction alone would keep its own).
func TestWithFunctionReplacesBuiltin(t *testing.T) {
	exact := func(args ...any) (any, error) { return args[0] == args[1], nil }
	z, _ := newAuthorizer(t, func(c *casbin.Config) { c.Watch = false }, casbin.WithFunction("keyMatch2", exact))
	check := checker(z)
	// "/v1/users/*" matches "/v1/users/:id" with casbin's keyMatch2, not exactly
	if err := check("alice", "GET /v1/users/:id", "/v1/users/1"); !errors.Is(err, casbin.ErrPermissionDenied) {
		t.Fatalf("alice (admin, /v1/users/*): %v; the replacement was not called", err)
	}
	if err := check("bob", "GET /v1/users/:id", "/v1/users/1"); err != nil {
		t.Fatalf("bob (reader, /v1/users/:id exactly): %v", err)
	}
}

// Calls and reloads at once: each call is answered by one policy set, and
// the race detector sees the cache shared safely.
func TestCacheConcurrentReloads(t *testing.T) {
	z, _ := newAuthorizer(t, func(c *casbin.Config) { c.CacheSize, c.Watch = 16, false })
	check := checker(z)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 300 {
				sub := []string{"alice", "bob", "carol"}[(g+i)%3]
				err := check(sub, "GET /v1/users/:id", "/v1/users/"+strconv.Itoa(i%40))
				if (err == nil) != (sub != "carol") {
					t.Errorf("%s: %v", sub, err)
					return
				}
			}
		})
	}
	for range 20 {
		if err := z.Reload(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}

func TestCacheSizeNegative(t *testing.T) {
	c := casbin.DefaultConfig()
	c.CacheSize = -1
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "authz.cache_size") {
		t.Fatalf("error %v", err)
	}
}
