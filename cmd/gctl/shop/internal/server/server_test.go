// scaffolded by gctl; safe to edit.

package server_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/goxkit/gox/contrib/prometheus"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/health"
	xhttp "github.com/goxkit/gox/transport/http"

	"shop/configs"
	"shop/internal/server"
)

func newServer(t *testing.T) *xhttp.Server {
	t.Helper()
	s, err := server.NewHTTP(configs.Default(), slog.New(slog.DiscardHandler), health.New(0), prometheus.New(), event.NewBus(nil))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func do(s http.Handler, method, target, body string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(method, target, strings.NewReader(body)))
	return w
}

func TestPing(t *testing.T) {
	w := do(newServer(t), "GET", "/ping", "")
	if w.Code != 200 || w.Body.String() != "pong" {
		t.Fatalf("GET /ping = %d %q, want 200 pong", w.Code, w.Body.String())
	}
}

func TestHello(t *testing.T) {
	s := newServer(t)
	w := do(s, "GET", "/v1/hello/ann", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"hello, ann"`) {
		t.Fatalf("hello: %d %s", w.Code, w.Body.String())
	}
	w = do(s, "GET", "/v1/hello/nobody", "")
	var e struct {
		Code   int
		Reason string
	}
	_ = json.Unmarshal(w.Body.Bytes(), &e)
	if w.Code != 404 || e.Reason != "NOBODY" {
		t.Fatalf("nobody: %d %s", w.Code, w.Body.String())
	}
}

func TestEchoRejectsBadInput(t *testing.T) {
	s := newServer(t)
	if w := do(s, "POST", "/v1/echo", `{"text":"hi","count":2}`); w.Code != 200 || !strings.Contains(w.Body.String(), `"count":2`) {
		t.Fatalf("echo: %d %s", w.Code, w.Body.String())
	}
	if w := do(s, "POST", "/v1/echo", `{"text":"hi","count":"two"}`); w.Code != 400 || !strings.Contains(w.Body.String(), `field \"count\"`) {
		t.Fatalf("wrong type: %d %s", w.Code, w.Body.String())
	}
	if w := do(s, "POST", "/v1/echo", `{"text":`); w.Code != 400 {
		t.Fatalf("malformed: %d %s", w.Code, w.Body.String())
	}
}
