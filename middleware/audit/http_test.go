package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/log"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/audit"
	"github.com/goxkit/gox/middleware/requestid"
	xhttp "github.com/goxkit/gox/transport/http"
)

type createOrder struct {
	UserID   string `json:"user_id"`
	Item     string `json:"item"`
	Password string `json:"password"`
	Card     struct {
		Number string `json:"number"`
		Token  string `json:"token"`
	} `json:"card"`
}

// serveHTTP starts a gox HTTP server with the chain mws and the test's
// routes, and returns its base URL.
func serveHTTP(t *testing.T, clock *fakeClock, mws ...middleware.Middleware) string {
	t.Helper()
	hc := xhttp.DefaultConfig()
	hc.Addr = "127.0.0.1:0"
	s, err := xhttp.NewServer(hc, xhttp.WithMiddleware(mws...))
	if err != nil {
		t.Fatal(err)
	}
	s.DELETE("/users/:id", func(c *xhttp.Context) error {
		clock.Advance(150 * time.Millisecond)
		c.JSON(http.StatusOK, map[string]string{"deleted": c.Param("id")})
		return nil
	})
	s.GET("/users/:id", func(c *xhttp.Context) error {
		clock.Advance(20 * time.Millisecond)
		return errors.NotFound("USER_NOT_FOUND", "no user "+c.Param("id"))
	})
	s.POST("/orders", func(c *xhttp.Context) error {
		var req createOrder
		if err := c.Decode(&req); err != nil {
			return err
		}
		audit.Observe(c.Request.Context(), &req)
		c.JSON(http.StatusOK, map[string]string{"item": req.Item})
		return nil
	})
	s.GET("/health/deep", func(c *xhttp.Context) error { c.String(http.StatusOK, "fine"); return nil })
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, s)
	return u.String()
}

func call(t *testing.T, method, url, sub, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if sub != "" {
		req.Header.Set("X-Test-Sub", sub)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Request-Id", "req-"+method)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Over a real HTTP server: a record per selected route, with the subject
// from the JWT claims, the path parameter, the outcome and the latency the
// fake clock measured; the same record as JSON on the broker topic and a
// line in the audit logger; nothing for routes not selected.
func TestHTTPRecords(t *testing.T) {
	clock := newClock()
	col := &collector{}
	mem := broker.NewMemory()
	t.Cleanup(func() { _ = mem.Close() })
	var logBuf bytes.Buffer
	lc := audit.DefaultConfig().Log
	logger, err := log.NewWriter(lc, true, &syncWriter{w: &logBuf})
	if err != nil {
		t.Fatal(err)
	}
	c := audit.DefaultConfig()
	c.Operations = []string{"DELETE /users/:id", "GET /users/:id"}
	c.Prefixes = []string{"POST /orders"}
	c.ResourceFields = []string{"id", "user_id"}
	a := newAuditor(t, c, audit.WithClock(clock.Now),
		audit.WithSink(col, audit.BrokerSink(broker.NewProducer(mem), c.Topic), audit.LogSink(logger.Logger)))
	base := serveHTTP(t, clock, requestid.Server(), withClaims(), a.Middleware())

	if code, body := call(t, "DELETE", base+"/users/42", "alice", ""); code != 200 {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	rec := col.only(t)
	want := audit.Record{Time: clock.Now().Add(-150 * time.Millisecond), Subject: "alice", Operation: "DELETE /users/:id",
		Kind: "http", Resources: map[string]string{"id": "42"}, RequestID: "req-DELETE", Outcome: "ok", Code: 200,
		Latency: 150 * time.Millisecond}
	rec.Client = checkClient(t, rec.Client)
	if !equalRecords(rec, want) {
		t.Fatalf("record\n got %+v\nwant %+v", rec, want)
	}

	// the broker topic holds the same record, JSON-encoded
	d, err := mem.Receive(context.Background(), c.Topic, "auditors")
	if err != nil {
		t.Fatal(err)
	}
	msg := d.Message()
	var fromTopic map[string]any
	if err := json.Unmarshal(msg.Body, &fromTopic); err != nil {
		t.Fatalf("topic body %s: %v", msg.Body, err)
	}
	if fromTopic["subject"] != "alice" || fromTopic["latency_ms"] != 150.0 || fromTopic["operation"] != "DELETE /users/:id" ||
		fromTopic["resources"].(map[string]any)["id"] != "42" || msg.Key != "alice" || msg.Header("content-type") != "application/json" {
		t.Fatalf("topic message key %q headers %v body %s", msg.Key, msg.Headers, msg.Body)
	}
	_ = d.Ack(context.Background())
	if !strings.Contains(logBuf.String(), `"msg":"audit"`) || !strings.Contains(logBuf.String(), `"subject":"alice"`) {
		t.Fatalf("audit log: %s", logBuf.String())
	}

	// a failure: outcome error with the gox code and reason; no claims:
	// the subject is anonymous
	col.reset()
	if code, _ := call(t, "GET", base+"/users/7", "", ""); code != 404 {
		t.Fatalf("GET: %d", code)
	}
	rec = col.only(t)
	if rec.Subject != "anonymous" || rec.Outcome != "error" || rec.Code != 404 || rec.Reason != "USER_NOT_FOUND" ||
		rec.Latency != 20*time.Millisecond || rec.Resources["id"] != "7" {
		t.Fatalf("failed call's record: %+v", rec)
	}

	// routes not selected write nothing
	col.reset()
	call(t, "GET", base+"/health/deep", "alice", "")
	call(t, "GET", base+"/ping", "alice", "")
	call(t, "GET", base+"/nowhere", "alice", "")
	if recs := col.Records(); len(recs) != 0 {
		t.Fatalf("unselected routes wrote %+v", recs)
	}
}

// The decoded request an HTTP handler observes gives the resource fields
// and, with record_request, the snapshot, its secrets redacted: the
// defaults (password, token) and the configured ones (number).
func TestHTTPObservedRequestRedacted(t *testing.T) {
	clock := newClock()
	col := &collector{}
	c := audit.DefaultConfig()
	c.Prefixes = []string{"POST /orders"}
	c.ResourceFields = []string{"user_id", "card.token"}
	c.Redact = []string{"number"}
	c.RecordRequest = true
	a := newAuditor(t, c, audit.WithClock(clock.Now), audit.WithSink(col))
	base := serveHTTP(t, clock, withClaims(), a.Middleware())

	body := `{"user_id":"u-9","item":"book","password":"hunter2","card":{"number":"4111111111111111","token":"tok_live_abc"}}`
	if code, resp := call(t, "POST", base+"/orders", "bob", body); code != 200 || !strings.Contains(resp, "book") {
		t.Fatalf("POST: %d %s", code, resp)
	}
	rec := col.only(t)
	if rec.Resources["user_id"] != "u-9" || rec.Resources["card.token"] != audit.Redacted {
		t.Fatalf("resources %v", rec.Resources)
	}
	snap := string(rec.Request)
	for _, secret := range []string{"hunter2", "4111111111111111", "tok_live_abc"} {
		if strings.Contains(snap, secret) {
			t.Fatalf("snapshot %s leaks %q", snap, secret)
		}
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Request, &m); err != nil || m["item"] != "book" || m["password"] != audit.Redacted ||
		m["card"].(map[string]any)["token"] != audit.Redacted || m["card"].(map[string]any)["number"] != audit.Redacted {
		t.Fatalf("snapshot %s (%v)", snap, err)
	}
}

// Without Observe, record_request snapshots the raw JSON body, which the
// handler still reads whole; a body over max_request_bytes is a note.
func TestHTTPRawBodySnapshot(t *testing.T) {
	clock := newClock()
	col := &collector{}
	c := audit.DefaultConfig()
	c.Operations = []string{"DELETE /users/:id"}
	c.RecordRequest = true
	c.MaxRequestBytes = 64
	c.SubjectHeader = "X-User"
	a := newAuditor(t, c, audit.WithClock(clock.Now), audit.WithSink(col))
	base := serveHTTP(t, clock, a.Middleware())

	req, _ := http.NewRequest("DELETE", base+"/users/1", strings.NewReader(`{"reason":"spam","api_key":"k-123"}`))
	req.Header.Set("X-User", "gateway-user")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rec := col.only(t)
	if rec.Subject != "gateway-user" || string(rec.Request) != `{"api_key":"[redacted]","reason":"spam"}` {
		t.Fatalf("record %+v request %s", rec, rec.Request)
	}
	col.reset()
	call(t, "DELETE", base+"/users/2", "", `{"reason":"`+strings.Repeat("x", 100)+`"}`)
	rec = col.only(t)
	if !strings.Contains(string(rec.Request), "more than 64 bytes not recorded") {
		t.Fatalf("oversized body recorded as %s", rec.Request)
	}
}

// A sink that fails, one that panics and a broker that is closed do not
// change the response; each failure is counted and logged.
func TestFailingSinksDoNotFailTheRequest(t *testing.T) {
	clock := newClock()
	mem := broker.NewMemory()
	_ = mem.Close()
	var logBuf bytes.Buffer
	logger, err := log.NewWriter(audit.DefaultConfig().Log, true, &syncWriter{w: &logBuf})
	if err != nil {
		t.Fatal(err)
	}
	col := &collector{}
	c := audit.DefaultConfig()
	c.Operations = []string{"DELETE /users/:id"}
	a := newAuditor(t, c, audit.WithClock(clock.Now), audit.WithLogger(logger.Logger), audit.WithSink(
		audit.SinkFunc(func(context.Context, *audit.Record) error { return io.ErrClosedPipe }),
		audit.SinkFunc(func(context.Context, *audit.Record) error { panic("sink bug") }),
		audit.BrokerSink(mem, "audit"),
		col))
	base := serveHTTP(t, clock, a.Middleware())
	code, body := call(t, "DELETE", base+"/users/5", "", "")
	if code != 200 || !strings.Contains(body, `"deleted":"5"`) {
		t.Fatalf("response %d %s; want the handler's 200", code, body)
	}
	if a.Failures() != 3 {
		t.Fatalf("Failures() = %d, want 3", a.Failures())
	}
	if n := strings.Count(logBuf.String(), "audit record not written"); n != 3 {
		t.Fatalf("%d failure lines logged, want 3: %s", n, logBuf.String())
	}
	col.only(t) // the healthy sink still got its record
}
