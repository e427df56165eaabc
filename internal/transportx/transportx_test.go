package transportx_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/transport"
)

// SetValues hands the slice over to a Header that takes it, and falls back
// to Set and Add on one that does not: the header ends up the same.
func TestSetValues(t *testing.T) {
	taker := goxtest.Header(http.Header{"X-Old": {"o"}})
	plain := struct{ transport.Header }{goxtest.Header(http.Header{"X-Old": {"o"}})} // hides SetValues
	for _, h := range []transport.Header{taker, plain} {
		transportx.SetValues(h, "X-Multi", []string{"a", "b"})
		transportx.SetValues(h, "X-Old", []string{"n"})
		if got := h.Values("X-Multi"); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("%T: X-Multi %v", h, got)
		}
		if got := h.Values("X-Old"); !slices.Equal(got, []string{"n"}) {
			t.Errorf("%T: X-Old %v, want the old value replaced", h, got)
		}
	}
	vs := []string{"kept"}
	transportx.SetValues(taker, "x-kept", vs)
	if got := taker["X-Kept"]; &got[0] != &vs[0] {
		t.Error("a HeaderValuesSetter copied the slice")
	}
}

type ended struct {
	*goxtest.Transport
	end time.Time
}

func (e *ended) End() time.Time { return e.end }

// EndTime is the recorded end when there is one, and the clock otherwise.
func TestEndTime(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	if got := transportx.EndTime(&ended{Transport: goxtest.NewTransport(transport.KindHTTP, "GET /"), end: at}); !got.Equal(at) {
		t.Fatalf("EndTime = %v, want the recorded %v", got, at)
	}
	before := time.Now()
	for _, tr := range []transport.Transporter{&ended{Transport: goxtest.NewTransport(transport.KindHTTP, "GET /")}, goxtest.NewTransport(transport.KindHTTP, "GET /")} {
		if got := transportx.EndTime(tr); got.Before(before) || got.After(time.Now()) {
			t.Fatalf("EndTime(%T) = %v, want the clock", tr, got)
		}
	}
}

// A Key knows both stored forms of its name; GetKey and SetKey reach a
// Header that does not take Keys through its canonical name.
func TestKey(t *testing.T) {
	k := transportx.NewKey("x-request-ID")
	if k.Canonical() != "X-Request-Id" || k.Lower() != "x-request-id" {
		t.Fatalf("NewKey: canonical %q, lower %q", k.Canonical(), k.Lower())
	}
	plain := struct{ transport.Header }{goxtest.Header(http.Header{"X-Request-Id": {"in"}})} // hides KeyHeader, SetValues
	if got := transportx.GetKey(plain, k); got != "in" {
		t.Errorf("GetKey on a plain Header: %q", got)
	}
	transportx.SetKey(plain, k, []string{"out", "more"})
	if got := plain.Values("X-Request-Id"); !slices.Equal(got, []string{"out", "more"}) {
		t.Errorf("SetKey on a plain Header: %v", got)
	}
	if got := transportx.GetKey(plain, transportx.NewKey("X-Absent")); got != "" {
		t.Errorf("GetKey of an absent key: %q", got)
	}
}
