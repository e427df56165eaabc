package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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

func newAuthorizer(b *testing.B) *casbin.Authorizer {
	c := casbin.DefaultConfig()
	c.Policy = filepath.Join(b.TempDir(), "policy.csv")
	c.Watch = false
	if err := os.WriteFile(c.Policy, []byte(benchPolicy()), 0o600); err != nil {
		b.Fatal(err)
	}
	z, err := casbin.New(c)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = z.Close() })
	return z
}

// BenchmarkCasbin is the casbin middleware's cost per request, allowed and
// denied, against the bare enforcer.Enforce with the same (subject, object,
// action): the gap is what gox adds — reading the transport and the claims,
// cutting the operation into object and action, and on a denial the coded
// error. The middleware runs around a no-op handler with an HTTP transport
// for "GET /v1/users/:id" and claims in the context.
func BenchmarkCasbin(b *testing.B) {
	z := newAuthorizer(b)
	h := z.Middleware()(noop)
	e := z.Enforcer()
	for _, c := range []struct {
		name, sub string
		allowed   bool
	}{{"allowed", "alice", true}, {"denied", "mallory", false}} {
		tr := goxtest.NewTransport(transport.KindHTTP, "GET /v1/users/:id")
		ctx := auth.NewContext(transport.NewServerContext(context.Background(), tr), &auth.Claims{Subject: c.sub})
		bare := func() bool { ok, _ := e.Enforce(c.sub, "/v1/users/:id", "GET"); return ok }
		if _, err := h(ctx, nil); (err == nil) != c.allowed || bare() != c.allowed {
			b.Fatalf("%s: middleware %v, bare %v", c.name, err, bare())
		}
		b.Run(c.name+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = bare()
			}
		})
		b.Run(c.name+"/middleware", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = h(ctx, nil)
			}
		})
		// paired: one bare check and one through the middleware per
		// iteration, each timed, so both see the same noise of a shared host
		b.Run(c.name+"/paired", func(b *testing.B) {
			var tb, tm time.Duration
			for b.Loop() {
				t0 := time.Now()
				_ = bare()
				t1 := time.Now()
				_, _ = h(ctx, nil)
				tm += time.Since(t1)
				tb += t1.Sub(t0)
			}
			b.ReportMetric(float64(tb.Nanoseconds())/float64(b.N), "bare-ns/op")
			b.ReportMetric(float64(tm.Nanoseconds())/float64(b.N), "mw-ns/op")
			b.ReportMetric(float64(tm)/float64(tb), "mw/bare")
		})
	}
}

// BenchmarkSecureChain serves GET /ping in process through the default
// chain, and through the default chain with CORS (a cross-origin request
// from an allowed origin), JWT authentication (HS256) and casbin
// authorization after it: what securing a route costs a request.
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
	z := newAuthorizer(b)

	logger := Logger(io.Discard)
	m := prometheus.New()
	hc := xhttp.DefaultConfig()
	hc.CORS.AllowedOrigins = []string{"https://app.bench"}
	hc.CORS.AllowedHeaders = []string{"Authorization"}
	secure, err := xhttp.NewServer(hc, xhttp.WithMiddleware(append(DefaultChain(logger, m), a.Middleware(), z.Middleware())...))
	if err != nil {
		b.Fatal(err)
	}
	servers := []struct {
		name string
		h    http.Handler
		sec  bool
	}{{"default", Gox(logger), false}, {"jwt+casbin+cors", secure, true}}
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
		var t [2]time.Duration
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
		b.ReportMetric(float64(t[1])/float64(t[0]), "secure/default")
	})
}
