package http_test

import (
	"context"
	"encoding/json"
	stderrors "errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	mmw "github.com/goxkit/gox/middleware/metrics"
	"github.com/goxkit/gox/middleware/retry"
	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/selector"
	xhttp "github.com/goxkit/gox/transport/http"
)

// start runs s on a free loopback port and stops it when the test ends.
func start(t *testing.T, s *xhttp.Server) string {
	t.Helper()
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, s)
	return u.String()
}

// loopback is a server of the default config, with no routes yet, that
// listens on a free loopback port.
func loopback(t *testing.T, opts ...xhttp.Option) *xhttp.Server {
	t.Helper()
	c := xhttp.DefaultConfig()
	c.Addr = "127.0.0.1:0"
	s, err := xhttp.NewServer(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestClientDecodesErrorsIntoTheSameSentinel(t *testing.T) {
	for _, format := range []string{"envelope", "problem"} {
		t.Run(format, func(t *testing.T) {
			c := xhttp.DefaultConfig()
			c.Addr, c.ErrorFormat = "127.0.0.1:0", format
			base := start(t, newServer(t, c))
			cl, err := xhttp.NewClient(base)
			if err != nil {
				t.Fatal(err)
			}
			err = cl.Invoke(context.Background(), "GET", "/users/42", nil, nil)
			if !stderrors.Is(err, errUserNotFound) {
				t.Fatalf("errors.Is(%v, errUserNotFound) = false", err)
			}
			var out user
			if err := cl.Invoke(context.Background(), "POST", "/users", user{Name: "bo", Age: 2}, &out); err != nil || out.Name != "bo" {
				t.Fatalf("%v %+v", err, out)
			}
		})
	}
	if _, err := xhttp.NewClient("localhost:80"); err == nil {
		t.Fatal("a base URL without scheme was accepted")
	}
}

func TestStopDrainsInFlightRequests(t *testing.T) {
	s := loopback(t)
	entered := make(chan struct{})
	s.GET("/slow", func(c *xhttp.Context) error {
		close(entered)
		time.Sleep(300 * time.Millisecond)
		c.String(200, "done")
		return nil
	})
	u, _ := s.Endpoint()
	served := make(chan error, 1)
	go func() { served <- s.Start(context.Background()) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(u.String() + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		got <- resp.Status
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if status := <-got; status != "200 OK" {
		t.Fatalf("in-flight request got %q", status)
	}
	if err := <-served; err != nil {
		t.Fatalf("Start: %v", err)
	}
	if _, err := http.Get(u.String() + "/ping"); err == nil {
		t.Fatal("server still accepts after Stop")
	}
}

// replies is an upstream that answers each request with the next of its
// canned replies (the last one repeats), counting the requests.
type replies struct {
	hits atomic.Int32
	list []reply
}

type reply struct {
	status      int
	contentType string
	body        string
}

func (rs *replies) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	r := rs.list[min(int(rs.hits.Add(1))-1, len(rs.list)-1)]
	if r.contentType != "" {
		w.Header().Set("Content-Type", r.contentType)
	}
	w.WriteHeader(r.status)
	_, _ = io.WriteString(w, r.body)
}

// codes is a metrics.Recorder keeping the code label of each call.
type codes struct {
	mu   sync.Mutex
	seen []string
}

func (c *codes) InFlight(string, float64) {}
func (c *codes) Observe(_, _, code string, _ float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, code)
}

// A 503 whose body says {"code":1} is a 503: retried, counted against the
// instance, recorded as 503 — the upstream's body does not pick the class.
func TestClientStatusDecidesTheClass(t *testing.T) {
	up := &replies{list: []reply{{503, "application/json", `{"code":1}`}, {200, "application/json", `{"name":"ann"}`}}}
	base := httptest.NewServer(up)
	defer base.Close()
	rec := &codes{}
	cl, err := xhttp.NewClient(base.URL, xhttp.WithClientMiddleware(
		retry.Client(retry.WithAttempts(2), retry.WithBackoff(time.Microsecond, time.Microsecond)), mmw.Client(rec)))
	if err != nil {
		t.Fatal(err)
	}
	var u user
	if err := cl.Invoke(context.Background(), http.MethodGet, "/users/1", nil, &u); err != nil || u.Name != "ann" {
		t.Fatalf("call after one 503: %v %+v", err, u)
	}
	if up.hits.Load() != 2 || !slices.Equal(rec.seen, []string{"503", "200"}) {
		t.Fatalf("upstream hit %d times, metrics recorded codes %v; want a retry after the 503", up.hits.Load(), rec.seen)
	}

	// and a 2xx is a success whatever its body
	ok := httptest.NewServer(&replies{list: []reply{{200, "application/json", `{"code":503,"reason":"DOWN","message":"down","data":null}`}}})
	defer ok.Close()
	cl, _ = xhttp.NewClient(ok.URL)
	var env xhttp.Envelope
	if err := cl.Invoke(context.Background(), http.MethodGet, "/", nil, &env); err != nil || env.Code != 503 {
		t.Fatalf("200 with an error envelope as its body: %v %+v", err, env)
	}

	always := httptest.NewServer(&replies{list: []reply{{503, "application/json", `{"code":1}`}}})
	defer always.Close()
	cl, _ = xhttp.NewClient(always.URL)
	err = cl.Invoke(context.Background(), http.MethodGet, "/users/1", nil, nil)
	if errors.Code(err) != 503 || !retry.Transient(err) || !selector.ServerFailure(err) {
		t.Fatalf("503 {\"code\":1} became %v: code %d, retryable %v, a breaker failure %v",
			err, errors.Code(err), retry.Transient(err), selector.ServerFailure(err))
	}
}

// An instance answering 503 {"code":1} counts against its breaker: with
// ejection after one failure, the next calls all go to the other instance.
func TestBreakerCountsA503WhateverItsBody(t *testing.T) {
	bad := &replies{list: []reply{{503, "application/json", `{"code":1}`}}}
	good := &replies{list: []reply{{200, "application/json", `{"name":"ann"}`}}}
	reg := registry.NewMemory()
	for name, h := range map[string]http.Handler{"bad": bad, "good": good} {
		s := httptest.NewServer(h)
		defer s.Close()
		if err := reg.Register(context.Background(), &registry.ServiceInstance{ID: name, Name: "users", Endpoints: []string{s.URL}}); err != nil {
			t.Fatal(err)
		}
	}
	cl, err := xhttp.NewClient("discovery:///users", xhttp.WithDiscovery(reg, selector.NewRoundRobin()),
		xhttp.WithInstanceHealth(selector.InstanceHealth{ConsecutiveFailures: 1, Ejection: time.Hour}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	failed := 0
	for range 10 {
		if err := cl.Invoke(context.Background(), http.MethodGet, "/users/1", nil, nil); err != nil {
			failed++
		}
	}
	if bad.hits.Load() != 1 || failed != 1 || good.hits.Load() != 9 {
		t.Fatalf("the 503 instance got %d calls (%d failed), the good one %d; want it ejected after its first 503",
			bad.hits.Load(), failed, good.hits.Load())
	}
}

func TestDecodeError(t *testing.T) {
	notFound := xhttp.Envelope{Code: 404, Reason: "USER_NOT_FOUND", Message: "user 7 not found", Data: map[string]string{"id": "7"}}
	tests := []struct {
		name   string
		reply  reply
		code   int
		reason string
		msg    string // the whole message, or with a trailing * its start
		md     map[string]string
	}{
		{"gox envelope", reply{404, "application/json; charset=utf-8", mustJSON(notFound)}, 404, "USER_NOT_FOUND", "user 7 not found", map[string]string{"id": "7"}},
		{"problem+json", reply{404, xhttp.ContentTypeProblem, `{"type":"about:blank","title":"Not Found","status":404,"detail":"user 7 not found","reason":"USER_NOT_FOUND","metadata":{"id":"7"}}`}, 404, "USER_NOT_FOUND", "user 7 not found", map[string]string{"id": "7"}},
		{"problem with a title only", reply{409, xhttp.ContentTypeProblem, `{"title":"Version conflict"}`}, 409, "", "Version conflict", nil},
		{"envelope code disagrees with the status", reply{503, "application/json", `{"code":400,"reason":"DRAINING","message":"shutting down","data":null}`}, 503, "DRAINING", "shutting down", nil},
		{"problem status disagrees with the status", reply{502, xhttp.ContentTypeProblem, `{"status":200,"detail":"upstream broke"}`}, 502, "", "upstream broke", nil},
		{"a code but no message is not an envelope", reply{503, "application/json", `{"code":1}`}, 503, "", `503 Service Unavailable (application/json): {"code":1}`, nil},
		{"proxy's HTML page", reply{502, "text/html", "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>nginx</body>\r\n</html>"}, 502, "",
			"502 Bad Gateway (text/html): <html> <head><title>502 Bad Gateway</title></head> <body>nginx</body> </html>", nil},
		{"empty body", reply{504, "", ""}, 504, "", "504 Gateway Timeout", nil},
		{"long plain body", reply{500, "text/plain", strings.Repeat("é", 1000)}, 500, "", "500 Internal Server Error (text/plain): éé*", nil},
		{"envelope with foreign data", reply{400, "application/json", `{"code":400,"message":"bad","data":{"n":1}}`}, 400, "", "bad", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := httptest.NewServer(&replies{list: []reply{tt.reply}})
			defer s.Close()
			resp, err := http.Get(s.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			e := xhttp.DecodeError(resp)
			okMsg := e.Message == tt.msg
			if prefix, ok := strings.CutSuffix(tt.msg, "*"); ok {
				okMsg = strings.HasPrefix(e.Message, prefix) && len(e.Message) < 600 && utf8.ValidString(e.Message)
			}
			if e.Code != tt.code || e.Reason != tt.reason || !okMsg || !maps.Equal(e.Metadata, tt.md) {
				t.Fatalf("got code %d reason %q message %q metadata %v\nwant %d %q %q %v", e.Code, e.Reason, e.Message, e.Metadata,
					tt.code, tt.reason, tt.msg, tt.md)
			}
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
