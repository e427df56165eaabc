package transport_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/transport"
)

// SetValues hands the slice over to a Header that takes it, and falls back
// to Set and Add on one that does not: the header ends up the same.
func TestSetValues(t *testing.T) {
	taker := goxtest.Header(http.Header{"X-Old": {"o"}})
	plain := struct{ transport.Header }{goxtest.Header(http.Header{"X-Old": {"o"}})} // hides SetValues
	for _, h := range []transport.Header{taker, plain} {
		transport.SetValues(h, "X-Multi", []string{"a", "b"})
		transport.SetValues(h, "X-Old", []string{"n"})
		if got := h.Values("X-Multi"); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("%T: X-Multi %v", h, got)
		}
		if got := h.Values("X-Old"); !slices.Equal(got, []string{"n"}) {
			t.Errorf("%T: X-Old %v, want the old value replaced", h, got)
		}
	}
	vs := []string{"kept"}
	transport.SetValues(taker, "x-kept", vs)
	if got := taker["X-Kept"]; &got[0] != &vs[0] {
		t.Error("a HeaderValuesSetter copied the slice")
	}
}
