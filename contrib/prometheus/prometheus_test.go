package prometheus_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/contrib/prometheus"
	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/metrics"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/governance"
	mmw "github.com/goxkit/gox/middleware/metrics"
	xhttp "github.com/goxkit/gox/transport/http"
)

func newService(t *testing.T, m *prometheus.Metrics, addr string) *xhttp.Server {
	t.Helper()
	c := xhttp.DefaultConfig()
	c.Addr = addr
	return newServer(t, m, c)
}

func newServer(t *testing.T, m *prometheus.Metrics, c xhttp.Config, more ...middleware.Middleware) *xhttp.Server {
	t.Helper()
	s, err := xhttp.NewServer(c, xhttp.WithMiddleware(append([]middleware.Middleware{mmw.Server(m.Server())}, more...)...), xhttp.WithMetricsHandler(m.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	s.GET("/users/:id", func(*xhttp.Context) error { return errors.NotFound("", "no such user") })
	return s
}

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	return w.Body.String()
}

// scrapeHas fails t for each of want the scrape of h lacks, showing the
// scrape if any.
func scrapeHas(t *testing.T, h http.Handler, want ...string) {
	t.Helper()
	body := scrape(t, h)
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("scrape lacks %q", w)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

func TestSeriesAfterRequests(t *testing.T) {
	m := prometheus.New()
	s := newService(t, m, ":0")
	for _, target := range []string{"/ping", "/ping", "/users/1", "/users/2", "/nope"} {
		s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	}
	scrapeHas(t, s,
		`gox_server_requests_total{code="200",kind="http",operation="GET /ping"} 2`,
		`gox_server_requests_total{code="404",kind="http",operation="GET /users/:id"} 2`, // route template: bounded labels
		`gox_server_requests_total{code="404",kind="http",operation="NoRoute"} 1`,
		`gox_server_request_duration_seconds_count{kind="http",operation="GET /ping"} 2`,
		`gox_server_requests_in_flight{kind="http"} 0`,
		"go_goroutines ", "process_resident_memory_bytes ",
	)
}

func TestClientRecorderUsesClientNames(t *testing.T) {
	m := prometheus.New(prometheus.WithoutRuntimeCollectors())
	m.Client().Observe("grpc", "/a.A/B", "503", 0.01)
	body := scrape(t, m.Handler())
	if !strings.Contains(body, metrics.ClientRequestsTotal+`{code="503",kind="grpc",operation="/a.A/B"} 1`) {
		t.Fatal(body)
	}
	if strings.Contains(body, "go_goroutines") {
		t.Fatal("runtime collectors present despite WithoutRuntimeCollectors")
	}
}

// TestPrometheusServerScrapesTheService runs a real Prometheus server against
// a running gox service whose /metrics is on a listener of its own, behind
// basic auth and a bearer token, and queries the series it scraped: the
// requests, a 100µs request in a bucket under 1ms, and that a scrape without
// credentials is refused.
func TestPrometheusServerScrapesTheService(t *testing.T) {
	bin := goxtest.RequireBinary(t, "prometheus", "apt-get install prometheus, or run bash ci/test.sh")
	m := prometheus.New()
	c := xhttp.DefaultConfig()
	c.Addr = "127.0.0.1:0"
	c.Metrics = xhttp.MetricsConfig{Addr: "127.0.0.1:0", Username: "prom", Password: "s3cret", BearerToken: "t0ken"}
	// governance: one call a minute to /users/:id, so the second is refused
	gc := governance.DefaultConfig()
	gc.Rules = []governance.Rule{{Exact: []string{"GET /users/:id"}, RateLimit: &governance.RateLimit{Rate: governance.Rate{Limit: 1, Per: time.Minute}}}}
	gov, err := governance.New(gc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gov.Close() })
	if err := m.WatchGovernance(gov.State); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, m, c, gov.Middleware())
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	mu, err := s.MetricsEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, s)
	for range 3 {
		resp, err := http.Get(u.String() + "/ping")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for range 2 {
		resp, err := http.Get(u.String() + "/users/7")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	m.Server().Observe("http", "GET /fast", "200", 100e-6) // a request of 100µs
	resp, err := http.Get(mu.String())
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("scrape without credentials: %v %v", resp, err)
	}
	resp.Body.Close() // else the client's connection goroutines wait for it to be read

	dir := t.TempDir()
	cfg := fmt.Sprintf(`global: {scrape_interval: 1s}
scrape_configs:
  - job_name: basic
    static_configs: [{targets: [%[1]q]}]
    basic_auth: {username: prom, password: s3cret}
  - job_name: bearer
    static_configs: [{targets: [%[1]q]}]
    authorization: {credentials: t0ken}
  - job_name: anonymous
    static_configs: [{targets: [%[1]q]}]
`, mu.Host)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	promAddr := freeAddr(t)
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	logf, _ := os.Create(filepath.Join(dir, "prometheus.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	want := map[string]string{
		`gox_server_requests_total{job="basic",operation="GET /ping",code="200"}`:                   "3",
		`gox_server_requests_total{job="bearer",operation="GET /ping",code="200"}`:                  "3",
		`gox_server_request_duration_seconds_bucket{job="basic",operation="GET /fast",le="0.0001"}`: "1",
		`gox_server_request_duration_seconds_bucket{job="basic",operation="GET /fast",le="5e-05"}`:  "0",
		// p99 of one 100µs request: under 100µs with buckets that resolve it (99.5µs), 990µs with a 1ms floor
		`histogram_quantile(0.99, gox_server_request_duration_seconds_bucket{job="basic",operation="GET /fast"}) < bool 0.0001`: "1",
		`gox_governance_calls_total{job="basic",operation="GET /users/:id",outcome="admitted"}`:                                 "1",
		`gox_governance_calls_total{job="basic",operation="GET /users/:id",outcome="rate_limited"}`:                             "1",
		`gox_server_requests_total{job="basic",operation="GET /users/:id",code="429"}`:                                          "1",
		`gox_governance_in_flight_limit{job="basic"} >= bool 0`:                                                                 "1",
		`gox_governance_cpu_ratio{job="basic"} >= bool 0`:                                                                       "1",
		`up{job="anonymous"}`: "0",
		`up{job="basic"}`:     "1",
		`up{job="bearer"}`:    "1",
	}
	deadline := time.Now().Add(45 * time.Second) // target discovery batches every 5s, then the first scrape
	for len(want) > 0 && time.Now().Before(deadline) {
		for q, v := range want {
			if got, ok := queryValue(promAddr, q); ok {
				if got != v {
					t.Fatalf("Prometheus sees %s = %s, want %s", q, got, v)
				}
				delete(want, q)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(want) > 0 {
		log, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
		t.Fatalf("Prometheus never returned %v; its log:\n%s", want, log)
	}
}

func queryValue(addr, q string) (string, bool) {
	resp, err := http.Get("http://" + addr + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Data struct {
			Result []struct {
				Value []any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &r) != nil || len(r.Data.Result) == 0 || len(r.Data.Result[0].Value) < 2 {
		return "", false
	}
	v, _ := r.Data.Result[0].Value[1].(string)
	return v, true
}

func freeAddr(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(http.NotFoundHandler())
	addr := s.Listener.Addr().String()
	s.Close()
	return addr
}

func TestWatchRegistry(t *testing.T) {
	m := prometheus.New(prometheus.WithoutRuntimeCollectors())
	var up atomic.Bool
	if err := m.WatchRegistry(up.Load); err != nil {
		t.Fatal(err)
	}
	scrape := func() string {
		w := httptest.NewRecorder()
		m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		return w.Body.String()
	}
	if !strings.Contains(scrape(), "gox_registry_healthy 0") {
		t.Fatalf("scrape while not registered:\n%s", scrape())
	}
	up.Store(true)
	if !strings.Contains(scrape(), "gox_registry_healthy 1") {
		t.Fatalf("scrape while registered:\n%s", scrape())
	}
}

// What a Bound records lands in the Recorder's own series, whichever records
// first, and codes first seen by concurrent callers are each counted once.
func TestBoundSharesTheRecordersSeries(t *testing.T) {
	m := prometheus.New(prometheus.WithoutRuntimeCollectors())
	r := m.Server()
	r.Observe("http", "GET /x", "200", 0.01)
	b := r.(metrics.Binder).Bind("http", "GET /x")
	b.InFlight(1)
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 100 {
				b.Observe(fmt.Sprint(200+(g+i)%5), 0.02)
			}
		}()
	}
	for range 8 {
		<-done
	}
	r.Observe("http", "GET /x", "201", 0.01)
	scrapeHas(t, m.Handler(),
		`gox_server_requests_total{code="200",kind="http",operation="GET /x"} 161`,
		`gox_server_requests_total{code="201",kind="http",operation="GET /x"} 161`,
		`gox_server_requests_total{code="204",kind="http",operation="GET /x"} 160`,
		`gox_server_request_duration_seconds_count{kind="http",operation="GET /x"} 802`,
		`gox_server_requests_in_flight{kind="http"} 1`,
	)
}

// The default buckets resolve what gox serves: a 100µs request is counted
// under 100µs and not under 50µs, where the old 1ms floor put every fast
// request in one bucket.
func TestDefaultBucketsResolveMicroseconds(t *testing.T) {
	m := prometheus.New(prometheus.WithoutRuntimeCollectors())
	m.Server().Observe("http", "GET /ping", "200", 100e-6)
	scrapeHas(t, m.Handler(),
		`gox_server_request_duration_seconds_bucket{kind="http",operation="GET /ping",le="5e-05"} 0`,
		`gox_server_request_duration_seconds_bucket{kind="http",operation="GET /ping",le="0.0001"} 1`,
		`gox_server_request_duration_seconds_bucket{kind="http",operation="GET /ping",le="10"} 1`,
	)
}

func TestBucketsFromConfig(t *testing.T) {
	m, err := prometheus.NewFromConfig(prometheus.Config{Buckets: []time.Duration{20 * time.Microsecond, time.Millisecond}},
		prometheus.WithoutRuntimeCollectors())
	if err != nil {
		t.Fatal(err)
	}
	m.Client().Observe("grpc", "/a.A/B", "200", 30e-6)
	scrapeHas(t, m.Handler(),
		`gox_client_request_duration_seconds_bucket{kind="grpc",operation="/a.A/B",le="2e-05"} 0`,
		`gox_client_request_duration_seconds_bucket{kind="grpc",operation="/a.A/B",le="0.001"} 1`,
		`gox_client_request_duration_seconds_bucket{kind="grpc",operation="/a.A/B",le="+Inf"} 1`,
	)
	for _, bad := range [][]time.Duration{{time.Millisecond, time.Millisecond}, {0}, {time.Second, time.Millisecond}} {
		if _, err := prometheus.NewFromConfig(prometheus.Config{Buckets: bad}); err == nil || !strings.Contains(err.Error(), "buckets[") {
			t.Errorf("buckets %v: error %v, want one naming the entry", bad, err)
		}
	}
}
