package openapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/goxkit/gox/openapi"
	xhttp "github.com/goxkit/gox/transport/http"
)

// bearerGuard lets in the requests carrying "Authorization: Bearer good".
func bearerGuard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer good" {
			w.Header().Set("WWW-Authenticate", "Bearer")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// One management guard stands before pprof and the API document in place
// of their basic auth, and pprof needs no password of its own then.
func TestManagementGuard(t *testing.T) {
	c := xhttp.DefaultConfig()
	c.Pprof.Enabled = true // no username or password: the guard is the login
	s, err := xhttp.NewServer(c, xhttp.WithManagementGuard(bearerGuard))
	if err != nil {
		t.Fatal(err)
	}
	if err := openapi.Mount(s, openapi.Options{Expose: openapi.Management, Title: "t", Version: "1", Guard: bearerGuard}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/openapi.json"} {
		for _, tc := range []struct {
			auth string
			want int
		}{{"", http.StatusUnauthorized}, {"Bearer bad", http.StatusUnauthorized}, {"Basic YWRtaW46", http.StatusUnauthorized}, {"Bearer good", http.StatusOK}} {
			r := httptest.NewRequest(http.MethodGet, path, nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Errorf("GET %s with %q = %d, want %d", path, tc.auth, w.Code, tc.want)
			}
		}
	}
	// without a guard, pprof still needs its own login
	if _, err := xhttp.NewServer(c); err == nil {
		t.Fatal("pprof enabled with no login and no guard: NewServer accepted it")
	}
}
