package http_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/errors"
	xhttp "github.com/goxkit/gox/transport/http"
)

// A refusal that carries a retry delay reaches any HTTP client as a
// Retry-After header in whole seconds, rounded up, and the gox client reads
// it back from the header alone as well.
func TestRetryAfterHeader(t *testing.T) {
	s := newServer(t, xhttp.DefaultConfig())
	s.GET("/busy", func(*xhttp.Context) error {
		return errors.Unavailable("OVERLOADED", "busy").WithRetryAfter(1500 * time.Millisecond)
	})
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/busy", nil))
	if w.Code != 503 || w.Header().Get("Retry-After") != "2" {
		t.Fatalf("status %d, Retry-After %q; want 503 and 2", w.Code, w.Header().Get("Retry-After"))
	}
	if d, ok := errors.RetryAfter(xhttp.DecodeError(w.Result())); !ok || d != 1500*time.Millisecond {
		t.Fatalf("decoded retry after %v %v; want the 1.5s of the body", d, ok)
	}
	now := time.Now()
	for _, c := range []struct {
		header string
		want   time.Duration
	}{
		{"3", 3 * time.Second},
		{now.Add(90 * time.Second).UTC().Format(http.TimeFormat), 90 * time.Second},
		{"0", 0}, {"-5", 0}, {"soon", 0}, {now.Add(-time.Hour).UTC().Format(http.TimeFormat), 0},
	} {
		resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {c.header}}, Body: io.NopCloser(strings.NewReader("slow down"))}
		got, _ := errors.RetryAfter(xhttp.DecodeError(resp))
		if got < c.want-time.Second || got > c.want {
			t.Errorf("Retry-After %q: %v, want %v", c.header, got, c.want)
		}
	}
}

// FuzzRetryAfterHeader: any Retry-After a server sends decodes to a
// positive wait or none, never a zero or negative one.
func FuzzRetryAfterHeader(f *testing.F) {
	for _, v := range []string{"3", "0", "-1", "120", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "soon", "", " 5", "1.5"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		resp := &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {v}}, Body: io.NopCloser(strings.NewReader(""))}
		if d, ok := errors.RetryAfter(xhttp.DecodeError(resp)); ok && d <= 0 || !ok && d != 0 {
			t.Fatalf("Retry-After %q decoded as %v, %v", v, d, ok)
		}
	})
}
