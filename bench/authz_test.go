package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/contrib/authz/casbin"
	"github.com/goxkit/gox/contrib/prometheus"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/auth"
	"github.com/goxkit/gox/transport"
	xhttp "github.com/goxkit/gox/transport/http"
)

// benchPolicy is casbin.DefaultModel's policy for the benchmarks: three
// roles over a few route patterns, and users roles: alice an admin, 100
// others readers, so the role lookup walks a realistic graph.
func benchPolicy() string {
	var b strings.Builder
	b.WriteString("p, admin, /v1/users/*, *\np, admin, /ping, GET\np, reader, /v1/users/:id, GET\n")
	b.WriteString("p, reader, /v1/orders/:id, GET\np, writer, /v1/orders/*, POST\ng, alice, admin\n")
	for i := range 100 {
		b.WriteString("g, user" + strconv.Itoa(i) + ", reader\n")
	}
	return b.String()
}

// stockKeyMatch2 is casbin's util.KeyMatch2Func as casbin/v2 v2.135.0
// ships it (util/builtin_operators.go): the pattern rewritten and compiled
// into a regular expression on every call. It stands in for casbin's own
// in the bare enforcer, gox's enforcer calling a memoized one instead.
func stockKeyMatch2(args ...any) (any, error) {
	key1, key2 := args[0].(string), args[1].(string)
	key2 = strings.ReplaceAll(key2, "/*", "/.*")
	key2 = stockParam.ReplaceAllString(key2, "$1[^/]+$2")
	ok, err := regexp.MatchString("^"+key2+"$", key1)
	if err != nil {
		panic(err) // as casbin's RegexMatch
	}
	return ok, nil
}

var stockParam = regexp.MustCompile(`:[^/]+`)

// newAuthorizer starts an Authorizer over benchPolicy with edit applied to
// casbin.DefaultConfig.
func newAuthorizer(b *testing.B, edit func(*casbin.Config), opts ...casbin.Option) *casbin.Authorizer {
	c := casbin.DefaultConfig()
	c.Policy = filepath.Join(b.TempDir(), "policy.csv")
	c.Watch = false
	if edit != nil {
		edit(&c)
	}
	if err := os.WriteFile(c.Policy, []byte(benchPolicy()), 0o600); err != nil {
		b.Fatal(err)
	}
	z, err := casbin.New(c, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = z.Close() })
	return z
}

// BenchmarkCasbin is the casbin middleware's cost per request, allowed and
// denied, against the bare enforcer.Enforce with the same (subject, object,
// action) on an enforcer as casbin ships it (keyMatch2 compiling its
// pattern on every call, no decision cache): what a service calling casbin
// itself pays. The middleware runs around a no-op handler with an HTTP
// transport for "GET /v1/users/:id" and claims in the context, with its
// decision cache (the default, cache_size 10000) and without it
// (cache_size 0: every call asks casbin, with gox's memoized keyMatch2);
// memo is the bare Enforce of gox's enforcer (memoized keyMatch2, no
// decision cache).
func BenchmarkCasbin(b *testing.B) {
	stock := newAuthorizer(b, func(c *casbin.Config) { c.CacheSize = 0 }, casbin.WithFunction("keyMatch2", stockKeyMatch2))
	nocache := newAuthorizer(b, func(c *casbin.Config) { c.CacheSize = 0 })
	z := newAuthorizer(b, nil)
	h, hn := z.Middleware()(noop), nocache.Middleware()(noop)
	e, em := stock.Enforcer(), nocache.Enforcer()
	for _, c := range []struct {
		name, sub string
		allowed   bool
	}{{"allowed", "alice", true}, {"denied", "mallory", false}} {
		tr := goxtest.NewTransport(transport.KindHTTP, "GET /v1/users/:id")
		ctx := auth.NewContext(transport.NewServerContext(context.Background(), tr), &auth.Claims{Subject: c.sub})
		bare := func() bool { ok, _ := e.Enforce(c.sub, "/v1/users/:id", "GET"); return ok }
		memo := func() bool { ok, _ := em.Enforce(c.sub, "/v1/users/:id", "GET"); return ok }
		_, err := h(ctx, nil)
		_, errn := hn(ctx, nil)
		if (err == nil) != c.allowed || (errn == nil) != c.allowed || bare() != c.allowed || memo() != c.allowed {
			b.Fatalf("%s: middleware %v, no cache %v, bare %v, memo %v", c.name, err, errn, bare(), memo())
		}
		for _, s := range []struct {
			name string
			f    func()
		}{
			{"bare", func() { _ = bare() }},
			{"memo", func() { _ = memo() }},
			{"middleware-nocache", func() { _, _ = hn(ctx, nil) }},
			{"middleware", func() { _, _ = h(ctx, nil) }},
		} {
			b.Run(c.name+"/"+s.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					s.f()
				}
			})
		}
		// paired: one bare check and one through each middleware per
		// iteration, each timed, so all see the same noise of a shared host
		b.Run(c.name+"/paired", func(b *testing.B) {
			var tb, tn, tm time.Duration
			for b.Loop() {
				t0 := time.Now()
				_ = bare()
				t1 := time.Now()
				_, _ = hn(ctx, nil)
				t2 := time.Now()
				_, _ = h(ctx, nil)
				tm += time.Since(t2)
				tn += t2.Sub(t1)
				tb += t1.Sub(t0)
			}
			b.ReportMetric(float64(tb.Nanoseconds())/float64(b.N), "bare-ns/op")
			b.ReportMetric(float64(tn.Nanoseconds())/float64(b.N), "nocache-ns/op")
			b.ReportMetric(float64(tm.Nanoseconds())/float64(b.N), "mw-ns/op")
			b.ReportMetric(float64(tn)/float64(tb), "nocache/bare")
			b.ReportMetric(float64(tm)/float64(tb), "mw/bare")
		})
	}
}

// BenchmarkSecureChain serves GET /ping in process through the default
// chain, and through the default chain with CORS (a cross-origin request
// from an allowed origin), JWT authentication (HS256) and casbin
// authorization after it: what securing a route costs a request. The
// secured server runs three times: with the casbin decision cache
// (default), without it (cache_size 0), and without casbin (JWT and CORS
// alone), which leaves casbin's share of the difference.
func BenchmarkSecureChain(b *testing.B) {
	secret := []byte("a-benchmark-secret-of-32-bytes-or-more")
	ac := auth.DefaultConfig()
	ac.Algorithms, ac.HMACSecret = []string{auth.HS256}, string(secret)
	a, err := auth.New(ac)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	tok, err := (&auth.Issuer{Algorithm: auth.HS256, Key: secret, TTL: time.Hour}).Issue("alice", nil)
	if err != nil {
		b.Fatal(err)
	}
	logger := Logger(io.Discard)
	m := prometheus.New()
	hc := xhttp.DefaultConfig()
	hc.CORS.AllowedOrigins = []string{"https://app.bench"}
	hc.CORS.AllowedHeaders = []string{"Authorization"}
	secured := func(cacheSize int) http.Handler {
		chain := append(DefaultChain(logger, m), a.Middleware())
		if cacheSize >= 0 {
			z := newAuthorizer(b, func(c *casbin.Config) { c.CacheSize = cacheSize })
			chain = append(chain, z.Middleware())
		}
		s, err := xhttp.NewServer(hc, xhttp.WithMiddleware(chain...))
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	servers := []struct {
		name string
		h    http.Handler
		sec  bool
	}{
		{"default", Gox(logger), false},
		{"jwt+casbin+cors", secured(casbin.DefaultConfig().CacheSize), true},
		{"jwt+casbin+cors-nocache", secured(0), true},
		{"jwt+cors", secured(-1), true},
	}
	reqs := make([]*http.Request, len(servers))
	for i, s := range servers {
		r := httptest.NewRequest(http.MethodGet, "/ping", nil)
		if s.sec {
			r.Header.Set("Authorization", "Bearer "+tok)
			r.Header.Set("Origin", "https://app.bench")
		}
		reqs[i] = r
		w := &discard{h: http.Header{}}
		s.h.ServeHTTP(w, r)
		if w.code != http.StatusOK || (s.sec && w.h.Get("Access-Control-Allow-Origin") != "https://app.bench") {
			b.Fatalf("%s: %d %v", s.name, w.code, w.h)
		}
	}
	for i, s := range servers {
		b.Run(s.name, func(b *testing.B) {
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.code = 0
				s.h.ServeHTTP(w, reqs[i])
			}
		})
	}
	// paired: one request of each per iteration, each timed
	b.Run("paired", func(b *testing.B) {
		w := &discard{h: http.Header{}}
		var t [4]time.Duration
		for b.Loop() {
			for i, s := range servers {
				clear(w.h)
				t0 := time.Now()
				s.h.ServeHTTP(w, reqs[i])
				t[i] += time.Since(t0)
			}
		}
		b.ReportMetric(float64(t[0].Nanoseconds())/float64(b.N), "default-ns/op")
		b.ReportMetric(float64(t[1].Nanoseconds())/float64(b.N), "secure-ns/op")
		b.ReportMetric(float64(t[2].Nanoseconds())/float64(b.N), "nocache-ns/op")
		b.ReportMetric(float64(t[1])/float64(t[0]), "secure/default")
		b.ReportMetric(float64(t[3].Nanoseconds())/float64(b.N), "jwt+cors-ns/op")
		b.ReportMetric(float64(t[2])/float64(t[0]), "nocache/default")
		b.ReportMetric(float64(t[3])/float64(t[0]), "jwt+cors/default")
		b.ReportMetric(float64(t[1])/float64(t[3]), "secure/jwt+cors")
	})
}
