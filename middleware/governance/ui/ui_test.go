package ui_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/middleware/governance"
	"github.com/goxkit/gox/middleware/governance/ui"
	"github.com/goxkit/gox/selector"
)

func get(t *testing.T, h http.Handler, method, target string, header ...string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	h.ServeHTTP(rec, r)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Result(), string(b)
}

func TestJSON(t *testing.T) {
	h := ui.Handler(fixture(t))
	resp, body := get(t, h, http.MethodGet, "/state.json")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var shape map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &shape); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range shape {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if got := strings.Join(keys, " "); got != "breakers generated operations rules shedding" {
		t.Fatalf("top-level keys: %s", got)
	}
	var snap ui.Snapshot
	if err := json.Unmarshal([]byte(body), &snap); err != nil {
		t.Fatal(err)
	}

	if len(snap.Rules) != 3 {
		t.Fatalf("%d rules", len(snap.Rules))
	}
	users, charge := snap.Rules[0], snap.Rules[1]
	if users.Selects != "exact "+usersOp || users.RateLimit != "1 per 1h0m0s, burst 1, token_bucket" || users.Tokens < 0 || users.Tokens >= 1 {
		t.Errorf("users rule: %+v", users)
	}
	if charge.Selects != "prefix /billing.v1.Billing/" || charge.MaxInFlight != 1 || charge.Timeout != 2*time.Second ||
		charge.Priority != "critical" || charge.Fallback != "cached" || charge.RateLimit != "" || charge.Tokens != -1 {
		t.Errorf("billing rule: %+v", charge)
	}

	if s := snap.Shedding; s == nil || s.CPUThreshold != 0.8 || s.InFlight < 1 {
		t.Errorf("shedder: %+v", s)
	}

	ops := map[string]governance.OperationState{}
	for _, o := range snap.Operations {
		ops[o.Operation] = o
	}
	u, c := ops[usersOp], ops[chargeOp]
	if u.Kind != "http" || u.Rule != 0 || u.Counts["admitted"] != 1 || u.Counts["rate_limited"] != 1 {
		t.Errorf("%s: %+v", usersOp, u)
	}
	if c.Kind != "grpc" || c.Rule != 1 || c.InFlight != 1 || c.Typical <= 0 || c.Counts["admitted"] != 21 ||
		c.Counts["concurrency_limited"] != 1 || c.Counts["fallback"] != 1 {
		t.Errorf("%s: %+v", chargeOp, c)
	}

	if len(snap.Breakers) != 1 || snap.Breakers[0].Service != "billing" || len(snap.Breakers[0].Instances) != 2 {
		t.Fatalf("breakers: %+v", snap.Breakers)
	}
	b0, b1 := snap.Breakers[0].Instances[0], snap.Breakers[0].Instances[1]
	if b0.Instance != "billing-0" || b0.Ejected || b0.Requests != 3 || b0.Accepts != 3 {
		t.Errorf("billing-0: %+v", b0)
	}
	if b1.Address != "10.0.0.2:8000" || !b1.Ejected || b1.Requests != 2 || b1.Accepts != 0 || b1.EjectedUntil.Before(time.Now().Add(50*time.Minute)) {
		t.Errorf("billing-1: %+v", b1)
	}

	for _, ask := range []struct{ target, accept string }{{"/?format=json", ""}, {"/", "application/json"}} {
		if resp, body := get(t, h, http.MethodGet, ask.target, "Accept", ask.accept); resp.Header.Get("Content-Type") != "application/json" ||
			!strings.HasPrefix(body, "{") {
			t.Errorf("%s (Accept %q) gave %s %.40s", ask.target, ask.accept, resp.Header.Get("Content-Type"), body)
		}
	}
}

func TestHTML(t *testing.T) {
	h := ui.Handler(fixture(t))
	resp, body := get(t, h, http.MethodGet, "/?refresh=5")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"<title>shop · resilience</title>", `<meta http-equiv="refresh" content="5">`,
		`<dl id="shedder" data-state="on">`, `data-rule="0"`, "1 per 1h0m0s, burst 1, token_bucket", `data-rule="2"`,
		`data-kind="grpc" data-operation="/billing.v1.Billing/Charge"`, "<td class=\"n\">1 / 1</td>",
		`data-outcome="concurrency_limited">1</td>`, `data-service="billing"`,
		`data-address="10.0.0.2:8000" data-state="ejected"`, `data-address="10.0.0.1:8000" data-state="healthy"`,
		"GET /&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(body, want) {
			t.Fatalf("page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script") {
		t.Fatal("an operation name was not escaped")
	}
	for _, bad := range []string{"/?refresh=0", "/?refresh=x", "/?refresh=100000", "/"} {
		if _, body := get(t, h, http.MethodGet, bad); strings.Contains(body, `http-equiv="refresh"`) {
			t.Errorf("%s: the page reloads itself", bad)
		}
	}
}

// Without breakers, or with the shedder off and nothing called yet, the
// page says so; the JSON has no breakers.
func TestEmpty(t *testing.T) {
	c := governance.DefaultConfig()
	c.Shedding.Enabled = false
	g, err := governance.New(c)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	h := ui.Handler(ui.Options{State: g.State})
	_, body := get(t, h, http.MethodGet, "/")
	for _, want := range []string{"<title>Resilience</title>", `data-state="off"`, "no rules", "no calls yet"} {
		if !strings.Contains(body, want) {
			t.Fatalf("page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "Circuit breakers") {
		t.Fatal("a breaker section without Breakers")
	}
	_, body = get(t, h, http.MethodGet, "/state.json")
	if strings.Contains(body, "breakers") || strings.Contains(body, "shedding") || !strings.Contains(body, `"operations": []`) {
		t.Fatalf("JSON:\n%s", body)
	}
	_, body = get(t, ui.Handler(ui.Options{State: g.State, Breakers: ui.BreakersOf(func() []*selector.Selector { return nil })}), http.MethodGet, "/")
	if !strings.Contains(body, "no services called yet") {
		t.Fatalf("page with no selectors:\n%s", body)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := ui.Handler(fixture(t))
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		resp, _ := get(t, h, m, "/")
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d, Allow %q", m, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	if resp, _ := get(t, h, http.MethodHead, "/"); resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD: %d", resp.StatusCode)
	}
}

func TestStateRequired(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Handler without State did not panic")
		}
	}()
	ui.Handler(ui.Options{})
}
