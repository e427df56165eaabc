package http

import (
	"net/http"
	"net/textproto"
	"testing"
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
