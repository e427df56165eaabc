package http

import (
	"net/http"
	"net/textproto"
	"testing"

	"github.com/goxkit/gox/internal/transportx"
)

func TestCanonicalMatchesTextproto(t *testing.T) {
	for _, k := range []string{"X-Request-Id", "x-request-id", "X-REQUEST-ID", "Content-Type", "A", "a", "", "X--Y", "X-1a", "X-1A", "Ü-X", "bad key", "X-Md-User"} {
		if canonical(k) && textproto.CanonicalMIMEHeaderKey(k) != k {
			t.Errorf("canonical(%q) but textproto makes it %q", k, textproto.CanonicalMIMEHeaderKey(k))
		}
		h := headerCarrier(http.Header{})
		h.Set(k, "v")
		if got := http.Header(h).Get(k); k != "" && got != "v" {
			t.Errorf("Set(%q) then http.Header.Get: %q", k, got)
		}
	}
}

// SetValues keeps the caller's slice (no allocation) under the canonical key.
func TestSetValuesKeepsTheSlice(t *testing.T) {
	for _, k := range []string{"X-Request-Id", "x-request-id"} {
		h := headerCarrier(http.Header{})
		vs := []string{"id-1"}
		h.SetValues(k, vs)
		got := http.Header(h)["X-Request-Id"]
		if len(got) != 1 || got[0] != "id-1" || &got[0] != &vs[0] {
			t.Errorf("SetValues(%q): header %v", k, http.Header(h))
		}
	}
}

// The HTTP carrier stores a Key under its canonical name and finds what
// net/http canonicalized on the way in, keeping the caller's slice.
func TestHeaderKeys(t *testing.T) {
	k := transportx.NewKey("x-request-id")
	in := http.Header{}
	in.Set("x-request-id", "from-client") // net/http canonicalizes incoming names
	if got := transportx.GetKey(headerCarrier(in), k); got != "from-client" {
		t.Errorf("GetKey: %q", got)
	}
	if got := transportx.GetKey(headerCarrier(http.Header{}), k); got != "" {
		t.Errorf("GetKey of an absent key: %q", got)
	}
	out := http.Header{}
	vs := []string{"id-1"}
	transportx.SetKey(headerCarrier(out), k, vs)
	if got := out["X-Request-Id"]; len(got) != 1 || &got[0] != &vs[0] || out.Get("x-request-id") != "id-1" {
		t.Errorf("SetKey: header %v", out)
	}
}
