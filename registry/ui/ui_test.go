package ui_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/registry/ui"
)

func fixture(t *testing.T) (*registry.Memory, *registry.ServiceInstance) {
	t.Helper()
	ready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(ready.Close)
	draining := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(draining.Close)
	m := registry.NewMemory()
	self := &registry.ServiceInstance{ID: "users-0", Name: "users", Version: "v1.2.0",
		Metadata: map[string]string{"zone": "eu-1", "note": "<script>alert(1)</script>"}, Endpoints: []string{ready.URL}}
	for _, ins := range []*registry.ServiceInstance{self,
		{ID: "users-1", Name: "users", Version: "v1.1.0", Endpoints: []string{draining.URL}},
		{ID: "orders-0", Name: "orders", Endpoints: []string{"grpc://127.0.0.1:9"}},
	} {
		if err := m.Register(context.Background(), ins); err != nil {
			t.Fatal(err)
		}
	}
	return m, self
}

func get(t *testing.T, h http.Handler, method, target string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Result(), string(b)
}

func TestJSON(t *testing.T) {
	m, self := fixture(t)
	h := ui.Handler(ui.Options{Discovery: m, Services: []string{"billing"}, Self: func() *registry.ServiceInstance { return self },
		Registered: func() bool { return true }})
	resp, body := get(t, h, http.MethodGet, "/services.json")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var snap ui.Snapshot
	if err := json.Unmarshal([]byte(body), &snap); err != nil {
		t.Fatal(err)
	}
	if snap.Self != "users-0" || snap.Registered == nil || !*snap.Registered {
		t.Fatalf("self %q registered %v", snap.Self, snap.Registered)
	}
	var got []string
	for _, s := range snap.Services {
		for _, i := range s.Instances {
			got = append(got, s.Name+"/"+i.ID+"="+i.Health)
		}
		if len(s.Instances) == 0 {
			got = append(got, s.Name+"/-")
		}
	}
	// billing is configured but has no instances; users-1 answers 503
	want := "billing/- orders/orders-0=unknown users/users-0=up users/users-1=down"
	if strings.Join(got, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	u1 := snap.Services[2].Instances[1]
	if u1.Detail != "/readyz answered 503" || u1.Version != "v1.1.0" {
		t.Fatalf("users-1: %+v", u1)
	}
	if _, body := get(t, h, http.MethodGet, "/?format=json"); !strings.HasPrefix(body, "{") {
		t.Fatalf("?format=json gave %.40s", body)
	}
}

func TestHTML(t *testing.T) {
	m, self := fixture(t)
	h := ui.Handler(ui.Options{Discovery: m, Self: func() *registry.ServiceInstance { return self }, Title: "shop registry"})
	resp, body := get(t, h, http.MethodGet, "/")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"<title>shop registry</title>", `data-service="users"`, `data-id="users-0" data-health="up"`,
		`data-id="users-1" data-health="down"`, "v1.2.0", "zone=eu-1", "grpc://127.0.0.1:9", "(this)",
		"&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(body, want) {
			t.Fatalf("page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Fatal("metadata was not escaped")
	}
	if resp, _ := get(t, h, http.MethodPost, "/"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
}

// Probes can be turned off: nothing is dialled, health is unknown.
func TestNoProbes(t *testing.T) {
	m, _ := fixture(t)
	_, body := get(t, ui.Handler(ui.Options{Discovery: m, ProbeTimeout: -1}), http.MethodGet, "/services.json")
	if strings.Contains(body, `"up"`) || strings.Contains(body, `"down"`) || !strings.Contains(body, "probes are off") {
		t.Fatalf("with probes off:\n%s", body)
	}
}
