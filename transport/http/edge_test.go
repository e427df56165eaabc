package http_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware"
	xhttp "github.com/goxkit/gox/transport/http"
)

func serveEdge(t *testing.T, c xhttp.Config, opts ...xhttp.Option) *xhttp.Server {
	t.Helper()
	s, err := xhttp.NewServer(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	s.GET("/v1/hello", func(c *xhttp.Context) error { c.String(200, "hi"); return nil })
	s.PUT("/v1/hello", func(c *xhttp.Context) error { c.String(200, "put"); return nil })
	return s
}

func serveReq(s http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// Every response carries the security headers, errors and probes too;
// HSTS only on a request that came over TLS.
func TestSecurityHeaders(t *testing.T) {
	c := xhttp.DefaultConfig()
	c.Headers.HSTS = 365 * 24 * time.Hour
	c.Headers.HSTSSubdomains = true
	s := serveEdge(t, c)
	for _, path := range []string{"/v1/hello", "/nope", "/healthz"} {
		w := serveReq(s, httptest.NewRequest("GET", path, nil))
		h := w.Header()
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: headers %v", path, h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("GET %s over plain HTTP: HSTS %q", path, h.Get("Strict-Transport-Security"))
		}
	}
	r := httptest.NewRequest("GET", "/v1/hello", nil)
	r.Header.Set("X-Forwarded-Proto", "https")
	if got := serveReq(s, r).Header().Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
		t.Errorf("behind a TLS proxy: HSTS %q", got)
	}

	c = xhttp.DefaultConfig()
	c.Headers.FrameOptions, c.Headers.ContentSecurityPolicy, c.Headers.ReferrerPolicy = "SAMEORIGIN", "default-src 'self'", "off"
	h := serveReq(serveEdge(t, c), httptest.NewRequest("GET", "/v1/hello", nil)).Header()
	if h.Get("X-Frame-Options") != "SAMEORIGIN" || h.Get("Content-Security-Policy") != "default-src 'self'" || h.Get("Referrer-Policy") != "" {
		t.Errorf("configured headers: %v", h)
	}
	c = xhttp.DefaultConfig()
	c.Headers.Disabled = true
	if h := serveReq(serveEdge(t, c), httptest.NewRequest("GET", "/v1/hello", nil)).Header(); h.Get("X-Frame-Options") != "" || h.Get("X-Content-Type-Options") != "" {
		t.Errorf("headers disabled: %v", h)
	}
}

// A preflight is answered before the middleware chain (here a chain that
// refuses everything, as authentication would without a token); the
// request itself goes through the chain and carries the CORS headers on
// its answer, an error included.
func TestCORS(t *testing.T) {
	var chained atomic.Int32
	deny := func(middleware.Handler) middleware.Handler {
		return func(context.Context, any) (any, error) {
			chained.Add(1)
			return nil, errors.Unauthorized("UNAUTHENTICATED", "no token")
		}
	}
	c := xhttp.DefaultConfig()
	c.CORS = xhttp.CORSConfig{AllowedOrigins: []string{"https://app.example.com", "https://*.example.org"}, AllowedMethods: []string{"GET", "PUT"},
		AllowedHeaders: []string{"Authorization"}, ExposedHeaders: []string{"X-Request-ID"}, AllowCredentials: true, MaxAge: 10 * time.Minute}
	s := serveEdge(t, c, xhttp.WithMiddleware(deny))

	pre := httptest.NewRequest("OPTIONS", "/v1/hello", nil)
	pre.Header.Set("Origin", "https://app.example.com")
	pre.Header.Set("Access-Control-Request-Method", "PUT")
	pre.Header.Set("Access-Control-Request-Headers", "authorization")
	w := serveReq(s, pre)
	h := w.Header()
	if w.Code != 204 || h.Get("Access-Control-Allow-Origin") != "https://app.example.com" || h.Get("Access-Control-Allow-Methods") != "PUT" ||
		h.Get("Access-Control-Allow-Credentials") != "true" || h.Get("Access-Control-Max-Age") != "600" || !strings.EqualFold(h.Get("Access-Control-Allow-Headers"), "authorization") {
		t.Fatalf("preflight: %d %v", w.Code, h)
	}
	if chained.Load() != 0 {
		t.Fatal("the preflight ran the middleware chain")
	}

	r := httptest.NewRequest("GET", "/v1/hello", nil)
	r.Header.Set("Origin", "https://shop.example.org")
	w = serveReq(s, r)
	if w.Code != 401 || w.Header().Get("Access-Control-Allow-Origin") != "https://shop.example.org" || w.Header().Get("Access-Control-Expose-Headers") != "X-Request-Id" {
		t.Fatalf("request: %d %v", w.Code, w.Header())
	}
	if chained.Load() != 1 {
		t.Fatal("the request did not run the chain")
	}

	// an origin not listed gets no CORS headers: the browser refuses the answer
	for _, origin := range []string{"https://evil.example.com", "http://app.example.com", "https://a.b.example.org.evil.com"} {
		r := httptest.NewRequest("OPTIONS", "/v1/hello", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", "PUT")
		if got := serveReq(s, r).Header().Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("origin %s allowed: %q", origin, got)
		}
	}
}

// A CORS or headers config that cannot be honoured stops the server at
// start, naming the key.
func TestEdgeConfigRefused(t *testing.T) {
	for _, c := range []struct {
		edit func(*xhttp.Config)
		want string
	}{
		{func(c *xhttp.Config) { c.CORS.AllowedOrigins, c.CORS.AllowCredentials = []string{"*"}, true }, `cors.allowed_origins "*" with cors.allow_credentials`},
		{func(c *xhttp.Config) { c.CORS.AllowedOrigins = []string{"app.example.com"} }, `cors.allowed_origins "app.example.com" is not an origin`},
		{func(c *xhttp.Config) { c.CORS.AllowedOrigins = []string{"https://app.example.com/path"} }, `is not an origin`},
		{func(c *xhttp.Config) { c.CORS.AllowedOrigins = []string{"https://*.*.example.com"} }, `is not an origin`},
		{func(c *xhttp.Config) { c.CORS.AllowedOrigins, c.CORS.AllowedMethods = []string{"*"}, []string{"get"} }, `cors.allowed_methods "get"`},
		{func(c *xhttp.Config) { c.CORS.AllowCredentials = true }, `cors has settings but no allowed_origins`},
		{func(c *xhttp.Config) { c.Headers.FrameOptions = "ALLOW" }, `headers.frame_options "ALLOW"`},
		{func(c *xhttp.Config) { c.Headers.HSTSPreload = true }, `headers.hsts_subdomains and hsts_preload need headers.hsts`},
	} {
		cfg := xhttp.DefaultConfig()
		c.edit(&cfg)
		if _, err := xhttp.NewServer(cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error with %q, got %v", c.want, err)
		}
	}
}

// Chromium, on a page of another origin, reads the answers of a service
// that allows that origin (a simple request and one that needs a
// preflight) and is refused those of a service that does not.
func TestCORSInChromium(t *testing.T) {
	goxtest.RequireBinary(t, "chromium", "apt-get install chromium")
	start := func(c xhttp.Config) string {
		c.Addr = "127.0.0.1:0"
		s := serveEdge(t, c)
		u, err := s.Endpoint()
		if err != nil {
			t.Fatal(err)
		}
		goxtest.Serve(t, s)
		return u.String()
	}
	page := httptest.NewUnstartedServer(nil) // its origin is the page's
	origin := "http://" + page.Listener.Addr().String()
	c := xhttp.DefaultConfig()
	c.CORS = xhttp.CORSConfig{AllowedOrigins: []string{origin}, AllowedMethods: []string{"GET", "PUT"}, AllowedHeaders: []string{"X-Custom"}}
	allowed, closed := start(c), start(xhttp.DefaultConfig())
	page.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!DOCTYPE html><html><body><p id="simple"></p><p id="preflight"></p><p id="refused"></p><script>
function call(method, url, header) {
  var x = new XMLHttpRequest();
  try {
    x.open(method, url, false);
    if (header) x.setRequestHeader("X-Custom", "1");
    x.send();
    return "answered " + x.status + " " + x.responseText;
  } catch (e) { return "blocked"; }
}
document.getElementById("simple").textContent = call("GET", %q, false);
document.getElementById("preflight").textContent = call("PUT", %q, true);
document.getElementById("refused").textContent = call("GET", %q, false);
</script></body></html>`, allowed+"/v1/hello", allowed+"/v1/hello", closed+"/v1/hello")
	})
	page.Start()
	t.Cleanup(page.Close)
	dom := goxtest.BrowserDOM(t, page.URL)
	for _, want := range []string{`<p id="simple">answered 200 hi</p>`, `<p id="preflight">answered 200 put</p>`, `<p id="refused">blocked</p>`} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %s:\n%s", want, dom)
		}
	}
}
