package conformance_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/goxkit/gox/examples/users"
	"github.com/goxkit/gox/openapi"
	xhttp "github.com/goxkit/gox/transport/http"
)

// The routes gctl gen api generated from a Go interface (examples/users)
// give a valid document, and the live requests and responses of every
// method, answers and errors, fit it.
func TestInterfaceDocumentFitsLiveTraffic(t *testing.T) {
	c := xhttp.DefaultConfig()
	c.Addr = "127.0.0.1:0"
	s, err := xhttp.NewServer(c)
	if err != nil {
		t.Fatal(err)
	}
	users.RegisterUsersHTTP(s, users.NewUsersService())
	m, v := document(t, s, openapi.Options{Title: "users"})
	for _, op := range []string{"/v1/users/{id}.get", "/v1/users.get", "/v1/users.post", "/v1/users/{id}.patch", "/v1/users/{id}.delete"} {
		path, method, _ := strings.Cut(op, ".")
		at(t, m, "paths", path, method)
	}
	base := start(t, s)
	for _, call := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/v1/users", `{"name":"ann","tags":["ops"]}`, 200},
		{"POST", "/v1/users", `{"name":"bob"}`, 200},
		{"GET", "/v1/users/1", "", 200},
		{"GET", "/v1/users?prefix=a&limit=10&tag=ops", "", 200},
		{"PATCH", "/v1/users/2", `{"name":"rob"}`, 200},
		{"DELETE", "/v1/users/2", "", 200},
		{"GET", "/v1/users/2", "", 404},
		{"POST", "/v1/users", `{"tags":["x"]}`, 400}, // no name
	} {
		req := func() *http.Request {
			r, _ := http.NewRequest(call.method, base+call.path, strings.NewReader(call.body))
			if call.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			return r
		}
		if ok, errs := v.ValidateHttpRequest(req()); call.status < 400 && !ok {
			t.Errorf("%s %s: request does not fit the document: %s", call.method, call.path, verrs(errs))
		}
		resp, err := http.DefaultClient.Do(req())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != call.status {
			t.Fatalf("%s %s: %d %s, want %d", call.method, call.path, resp.StatusCode, body, call.status)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if ok, errs := v.ValidateHttpResponse(req(), resp); !ok {
			t.Errorf("%s %s: response %d %s does not fit the document: %s", call.method, call.path, resp.StatusCode, body, verrs(errs))
		}
	}
	// the request the handler refused, the document refuses too
	r, _ := http.NewRequest("POST", base+"/v1/users", strings.NewReader(`{"tags":["x"]}`))
	r.Header.Set("Content-Type", "application/json")
	if ok, _ := v.ValidateHttpRequest(r); ok {
		t.Error("the document accepts a user without a name, which the handler refuses")
	}
}
