package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	stderrors "errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/health"
	"github.com/goxkit/gox/log"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/logging"
	"github.com/goxkit/gox/middleware/metrics"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/middleware/requestid"
	"github.com/goxkit/gox/transport"
	xhttp "github.com/goxkit/gox/transport/http"
)

type user struct {
	Name string `json:"name" binding:"required"`
	Age  int    `json:"age" binding:"gte=0"`
}

var errUserNotFound = errors.NotFound("USER_NOT_FOUND", "user not found")

func newServer(t testing.TB, c xhttp.Config, opts ...xhttp.Option) *xhttp.Server {
	t.Helper()
	opts = append([]xhttp.Option{xhttp.WithMiddleware(recovery.Recovery(slog.New(slog.DiscardHandler)), requestid.Server())}, opts...)
	s, err := xhttp.NewServer(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	s.POST("/users", xhttp.JSON(func(_ context.Context, u *user) (*user, error) { return u, nil }))
	s.GET("/users/:id", func(c *xhttp.Context) error {
		return errUserNotFound.WithMetadata(map[string]string{"id": c.Param("id")})
	})
	s.GET("/panic", func(*xhttp.Context) error { panic("handler bug") })
	s.GET("/fail", func(*xhttp.Context) error { return stderrors.New("dial tcp 10.0.0.7:5432: secret host") })
	return s
}

func do(s http.Handler, method, target, body string) (*http.Response, map[string]any) {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(method, target, strings.NewReader(body)))
	resp := w.Result()
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return resp, m
}

func TestBadInputGetsClearErrors(t *testing.T) {
	c := xhttp.DefaultConfig()
	c.MaxBodyBytes = 64
	s := newServer(t, c)
	tests := []struct {
		name, method, target, body string
		code                       int
		reason, inMessage          string
	}{
		{"malformed JSON", "POST", "/users", `{"name": "ann",`, 400, "MALFORMED_JSON", "malformed JSON"},
		{"bad syntax", "POST", "/users", `{"name" "ann"}`, 400, "MALFORMED_JSON", "byte 9"},
		{"empty body", "POST", "/users", ` `, 400, "EMPTY_BODY", "request body is empty"},
		{"data after the value", "POST", "/users", `{"name":"ann"} {}`, 400, "MALFORMED_JSON", "after top-level value"},
		{"wrong field type", "POST", "/users", `{"name":"ann","age":"old"}`, 400, "INVALID_FIELD", `field "age" must be int, got JSON string`},
		{"missing required", "POST", "/users", `{"age":3}`, 400, "INVALID_FIELD", `field "name" fails "required"`},
		{"body over limit", "POST", "/users", `{"name":"` + strings.Repeat("a", 100) + `"}`, 413, "PAYLOAD_TOO_LARGE", "larger than 64 bytes"},
		{"unknown route", "GET", "/nope", "", 404, "ROUTE_NOT_FOUND", "no route"},
		{"wrong method", "DELETE", "/users", "", 405, "METHOD_NOT_ALLOWED", "method"},
		{"panic in handler", "GET", "/panic", "", 500, "PANIC", "internal server error"},
		{"domain error", "GET", "/users/7", "", 404, "USER_NOT_FOUND", "user not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, m := do(s, tt.method, tt.target, tt.body)
			if resp.StatusCode != tt.code || m["code"] != float64(tt.code) || m["reason"] != tt.reason {
				t.Fatalf("status %d body %v", resp.StatusCode, m)
			}
			if msg, _ := m["message"].(string); !strings.Contains(msg, tt.inMessage) {
				t.Fatalf("message %q does not contain %q", msg, tt.inMessage)
			}
			if _, ok := m["data"]; !ok {
				t.Fatal("envelope has no data key")
			}
		})
	}
	// the server still serves after all that
	if resp, m := do(s, "POST", "/users", `{"name":"ann","age":3}`); resp.StatusCode != 200 || m["name"] != "ann" {
		t.Fatalf("good request after bad ones: %d %v", resp.StatusCode, m)
	}
}

func TestProductionHidesInternals(t *testing.T) {
	for _, prod := range []bool{true, false} {
		s := newServer(t, xhttp.DefaultConfig(), xhttp.WithProduction(prod))
		resp, m := do(s, "GET", "/fail", "")
		raw, _ := json.Marshal(m)
		leaked := strings.Contains(string(raw), "secret host") || m["stack"] != nil
		if resp.StatusCode != 500 || leaked == prod {
			t.Fatalf("production=%v: status %d leaked=%v body %s", prod, resp.StatusCode, leaked, raw)
		}
	}
}

func TestProblemJSON(t *testing.T) {
	c := xhttp.DefaultConfig()
	c.ErrorFormat = "problem"
	s := newServer(t, c)
	resp, m := do(s, "GET", "/users/9", "")
	if ct := resp.Header.Get("Content-Type"); ct != xhttp.ContentTypeProblem {
		t.Fatalf("content type %q", ct)
	}
	if m["status"] != float64(404) || m["title"] != "Not Found" || m["reason"] != "USER_NOT_FOUND" ||
		m["instance"] != "/users/9" || m["metadata"].(map[string]any)["id"] != "9" {
		t.Fatalf("problem %v", m)
	}
}

func TestCustomEncoder(t *testing.T) {
	s := newServer(t, xhttp.DefaultConfig(), xhttp.WithErrorEncoder(func(w http.ResponseWriter, _ *http.Request, err error, _ bool) {
		w.WriteHeader(errors.Code(err))
		_, _ = io.WriteString(w, "custom:"+errors.Reason(err))
	}))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/users/1", nil))
	if w.Code != 404 || w.Body.String() != "custom:USER_NOT_FOUND" {
		t.Fatalf("%d %q", w.Code, w.Body.String())
	}
}

func TestBuiltinRoutes(t *testing.T) {
	h := health.New(time.Second)
	c := xhttp.DefaultConfig()
	c.Pprof = xhttp.PprofConfig{Enabled: true, Username: "ops", Password: "pw"}
	s := newServer(t, c, xhttp.WithHealth(h),
		xhttp.WithMetricsHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "up 1\n") })))

	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/ping", nil))
	if w.Code != 200 || w.Body.String() != "pong" || w.Header().Get(requestid.Header) == "" {
		t.Fatalf("/ping: %d %q (ping must run the chain: request id %q)", w.Code, w.Body.String(), w.Header().Get(requestid.Header))
	}
	if resp, m := do(s, "GET", "/healthz", ""); resp.StatusCode != 200 || m["status"] != "ok" {
		t.Fatalf("/healthz: %d %v", resp.StatusCode, m)
	}
	if resp, _ := do(s, "GET", "/readyz", ""); resp.StatusCode != 200 {
		t.Fatalf("/readyz before shutdown: %d", resp.StatusCode)
	}
	h.Add("db", func(context.Context) error { return stderrors.New("db down") })
	if resp, m := do(s, "GET", "/readyz", ""); resp.StatusCode != 503 || m["checks"].(map[string]any)["db"] != "db down" {
		t.Fatalf("/readyz with failing check: %d %v", resp.StatusCode, m)
	}
	w = httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Body.String() != "up 1\n" {
		t.Fatalf("/metrics: %q", w.Body.String())
	}
	w = httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/debug/pprof/", nil))
	if w.Code != 401 {
		t.Fatalf("pprof without auth: %d", w.Code)
	}
	r := httptest.NewRequest("GET", "/debug/pprof/goroutine?debug=1", nil)
	r.SetBasicAuth("ops", "pw")
	w = httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "goroutine") {
		t.Fatalf("pprof with auth: %d", w.Code)
	}
	// pprof is off by default
	if resp, _ := do(newServer(t, xhttp.DefaultConfig()), "GET", "/debug/pprof/", ""); resp.StatusCode != 404 {
		t.Fatalf("pprof off: %d", resp.StatusCode)
	}
}

func TestGroupsHaveTheirOwnChain(t *testing.T) {
	s := newServer(t, xhttp.DefaultConfig())
	deny := func(middleware.Handler) middleware.Handler {
		return func(context.Context, any) (any, error) { return nil, errors.Unauthorized("", "token required") }
	}
	admin := s.Group("/admin", deny)
	admin.GET("/stats", func(c *xhttp.Context) error { c.String(200, "stats"); return nil })
	pub := s.Group("/public")
	pub.GET("/info", func(c *xhttp.Context) error { c.String(200, "info"); return nil })

	if resp, m := do(s, "GET", "/admin/stats", ""); resp.StatusCode != 401 || m["message"] != "token required" {
		t.Fatalf("admin: %d %v", resp.StatusCode, m)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/public/info", nil))
	if w.Code != 200 || w.Body.String() != "info" {
		t.Fatalf("public: %d %q", w.Code, w.Body.String())
	}
}

func TestBadConfig(t *testing.T) {
	tests := []struct {
		mut  func(*xhttp.Config)
		want string
	}{
		{func(c *xhttp.Config) { c.ErrorFormat = "xml" }, `error_format "xml"`},
		{func(c *xhttp.Config) { c.TLS.CertFile = "c.pem" }, "key_file"},
		{func(c *xhttp.Config) {
			c.TLS = xhttp.TLSConfig{CertFile: "/nonexistent/cert.pem", KeyFile: "/nonexistent/key.pem"}
		},
			"http server on :8080: tls: open /nonexistent/cert.pem"},
		{func(c *xhttp.Config) { c.Pprof.Enabled = true }, "pprof.username"},
		{func(c *xhttp.Config) { c.Metrics.Username = "prom" }, "metrics.username and metrics.password"},
		{func(c *xhttp.Config) { c.Metrics.Addr = "127.0.0.1:0" }, `metrics.addr "127.0.0.1:0" is set but the server has no metrics handler`},
	}
	for _, tt := range tests {
		c := xhttp.DefaultConfig()
		tt.mut(&c)
		if _, err := xhttp.NewServer(c); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want it to mention %q", err, tt.want)
		}
	}
}

func TestPortInUseNamesTheAddress(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	c := xhttp.DefaultConfig()
	c.Addr = busy.Addr().String()
	s, _ := xhttp.NewServer(c)
	err = s.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "http server") || !strings.Contains(err.Error(), c.Addr) ||
		!strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("err = %v", err)
	}
}

type codeRecorder struct{ observed []string }

func (r *codeRecorder) InFlight(string, float64) {}
func (r *codeRecorder) Observe(kind, op, code string, _ float64) {
	r.observed = append(r.observed, op+" "+code)
}

func TestMetricsSeeTheWrittenStatus(t *testing.T) {
	rec := &codeRecorder{}
	s, _ := xhttp.NewServer(xhttp.DefaultConfig(), xhttp.WithMiddleware(metrics.Server(rec)))
	s.POST("/things", func(c *xhttp.Context) error { c.JSON(201, map[string]int{"id": 1}); return nil })
	do(s, "POST", "/things", "")
	if len(rec.observed) != 1 || rec.observed[0] != "POST /things 201" {
		t.Fatalf("observed %v", rec.observed)
	}
}

func TestHandlerLogLinesCarryTheRequestID(t *testing.T) {
	logger, buf := jsonLog(t)
	s, _ := xhttp.NewServer(xhttp.DefaultConfig(), xhttp.WithMiddleware(requestid.Server(), logging.Server(logger)))
	s.GET("/work", func(c *xhttp.Context) error {
		slog.New(logger.Handler()).InfoContext(c.Request.Context(), "doing work")
		c.String(200, "done")
		return nil
	})
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/work", nil))
	id := w.Header().Get(requestid.Header)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if id == "" || len(lines) != 2 {
		t.Fatalf("id %q, log:\n%s", id, buf.String())
	}
	for _, line := range lines { // the handler's line and the access line
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["request_id"] != id {
			t.Fatalf("line without request_id %s: %s", id, line)
		}
	}
}

// Every kind of handler sees what the chain added: a plain handler in
// c.Request.Context(), a JSON handler in its ctx (the server skips the
// request copy for it), and a plain handler wrapping a JSON one in both.
func TestHandlersSeeTheChainsContext(t *testing.T) {
	s, _ := xhttp.NewServer(xhttp.DefaultConfig(), xhttp.WithMiddleware(requestid.Server()))
	type out struct{ ID string }
	typed := xhttp.JSON(func(ctx context.Context, _ *struct{}) (*out, error) {
		return &out{requestid.FromContext(ctx)}, nil
	})
	s.GET("/plain", func(c *xhttp.Context) error {
		c.JSON(200, out{requestid.FromContext(c.Request.Context())})
		return nil
	})
	s.GET("/typed", typed)
	s.GET("/wrapped", func(c *xhttp.Context) error {
		if requestid.FromContext(c.Request.Context()) == "" {
			return errors.Internal("NO_ID", "the wrapper's request lacks the id")
		}
		return typed(c)
	})
	for _, p := range []string{"/plain", "/typed", "/wrapped"} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", p, nil)
		r.Header.Set(requestid.Header, "rid-"+p)
		s.ServeHTTP(w, r)
		if want := `{"ID":"rid-` + p + `"}`; w.Code != 200 || w.Body.String() != want {
			t.Errorf("GET %s: %d %s, want %s", p, w.Code, w.Body, want)
		}
	}
}

// secondsRecorder keeps the latency each request was observed with.
type secondsRecorder struct{ seconds []float64 }

func (r *secondsRecorder) InFlight(string, float64) {}
func (r *secondsRecorder) Observe(_, _, _ string, s float64) {
	r.seconds = append(r.seconds, s)
}

// The access log and the latency histogram time a request with the same two
// clock readings, so a dashboard and a log line never disagree about it.
func TestLogAndMetricsAgreeOnLatency(t *testing.T) {
	logger, buf := jsonLog(t)
	rec := &secondsRecorder{}
	s, _ := xhttp.NewServer(xhttp.DefaultConfig(), xhttp.WithMiddleware(logging.Server(logger), metrics.Server(rec)))
	s.GET("/slow", func(c *xhttp.Context) error {
		time.Sleep(20 * time.Millisecond)
		c.String(200, "done")
		return nil
	})
	do(s, "GET", "/slow", "")
	var line struct{ Latency float64 }
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err, buf.String())
	}
	if len(rec.seconds) != 1 || rec.seconds[0] != line.Latency || line.Latency < 0.02 {
		t.Fatalf("metrics observed %v s, access log says %v s (the handler slept 20ms)", rec.seconds, line.Latency)
	}
}

// A handler's transport names the address the server listens on.
func TestTransportNamesTheEndpoint(t *testing.T) {
	s := loopback(t)
	s.GET("/where", func(c *xhttp.Context) error {
		tr, _ := transport.FromServerContext(c.Request.Context())
		c.String(200, tr.Endpoint())
		return nil
	})
	base := start(t, s)
	resp, err := http.Get(base + "/where")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if want := strings.TrimPrefix(base, "http://"); string(got) != want {
		t.Fatalf("handler's endpoint %q, server listens on %q", got, want)
	}
}

// inflightRecorder tracks requests in flight and the codes observed.
type inflightRecorder struct {
	inflight float64
	observed []string
}

func (r *inflightRecorder) InFlight(_ string, d float64) { r.inflight += d }
func (r *inflightRecorder) Observe(_, op, code string, _ float64) {
	r.observed = append(r.observed, op+" "+code)
}

// A handler that panics, with recovery outermost (as the scaffold had it
// before the request id moved first): the client gets a 500, the request is
// counted as a 500 and leaves the in-flight gauge, and its access line says
// it failed.
func TestPanicIsCountedAndLogged(t *testing.T) {
	logger, buf := jsonLog(t)
	rec := &inflightRecorder{}
	quiet := slog.New(slog.DiscardHandler)
	s, _ := xhttp.NewServer(xhttp.DefaultConfig(), xhttp.WithMiddleware(
		recovery.Recovery(quiet), requestid.Server(), logging.Server(logger), metrics.Server(rec)))
	s.GET("/boom", func(*xhttp.Context) error { panic("handler bug") })
	resp, _ := do(s, "GET", "/boom", "")
	if resp.StatusCode != 500 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if rec.inflight != 0 || len(rec.observed) != 1 || rec.observed[0] != "GET /boom 500" {
		t.Fatalf("in flight %v after the panic, observed %v", rec.inflight, rec.observed)
	}
	var line struct {
		Level, Reason string
		RequestID     string `json:"request_id"`
		Code          int
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err, buf.String())
	}
	if line.Code != 500 || line.Level != "error" || line.Reason != "PANIC" || line.RequestID != resp.Header.Get(requestid.Header) {
		t.Fatalf("access line %s", buf.String())
	}
}

// In the scaffold's order (request id, then recovery), the line recovery
// logs for a panic names the request.
func TestPanicLineCarriesTheRequestID(t *testing.T) {
	logger, buf := jsonLog(t)
	s, _ := xhttp.NewServer(xhttp.DefaultConfig(), xhttp.WithMiddleware(requestid.Server(), recovery.Recovery(logger)))
	s.GET("/boom", func(*xhttp.Context) error { panic("handler bug") })
	resp, _ := do(s, "GET", "/boom", "")
	var line struct {
		Msg       string
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err, buf.String())
	}
	if line.Msg != "panic recovered" || line.RequestID == "" || line.RequestID != resp.Header.Get(requestid.Header) {
		t.Fatalf("panic line %s, reply id %q", buf.String(), resp.Header.Get(requestid.Header))
	}
}

// jsonLog returns gox's JSON logger and the buffer it writes to.
func jsonLog(t *testing.T) (*slog.Logger, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	l, err := log.NewWriter(log.Config{Format: "json"}, true, &buf)
	if err != nil {
		t.Fatal(err)
	}
	return l.Logger, &buf
}

// Every routed response carries a Date (RFC 9110 requires one) in
// http.TimeFormat, made by gox from a per-second string rather than by
// net/http per response; a handler can still set its own or send none.
func TestDateHeader(t *testing.T) {
	s := loopback(t)
	const fixed = "Mon, 02 Jan 2006 15:04:05 GMT"
	s.GET("/own", func(c *xhttp.Context) error {
		c.Header("Date", fixed)
		c.String(200, "own")
		return nil
	})
	s.GET("/none", func(c *xhttp.Context) error {
		c.Writer.Header()["Date"] = nil // net/http's way to send no Date
		c.String(200, "none")
		return nil
	})
	s.GET("/fails", func(*xhttp.Context) error { return errUserNotFound })
	base := start(t, s)
	get := func(path string) http.Header {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.Header
	}
	for _, path := range []string{"/ping", "/fails", "/no-such-route"} {
		before := time.Now().Truncate(time.Second)
		h := get(path)
		got, err := http.ParseTime(h.Get("Date"))
		if err != nil || len(h.Values("Date")) != 1 || h.Get("Date") != got.UTC().Format(http.TimeFormat) {
			t.Fatalf("%s: Date %q (%v)", path, h.Values("Date"), err)
		}
		if after := time.Now(); got.Before(before) || got.After(after) {
			t.Fatalf("%s: Date %v outside [%v, %v]", path, got, before, after)
		}
	}
	if h := get("/own"); h.Get("Date") != fixed || len(h.Values("Date")) != 1 {
		t.Fatalf("a handler's own Date: %q", h.Values("Date"))
	}
	if h := get("/none"); len(h.Values("Date")) != 0 {
		t.Fatalf("a handler's nil Date: %q", h.Values("Date"))
	}
}
