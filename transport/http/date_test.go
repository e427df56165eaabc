package http

import (
	"net/http"
	"testing"
	"time"
)

// The date cache formats a time of a new second, and gives the last second's
// string for any time within it.
func TestHTTPDateFollowsTheSecond(t *testing.T) {
	var dates dateCache
	t0 := time.Date(2026, 11, 21, 20, 45, 13, 0, time.FixedZone("CET", 3600))
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{t0, "Sat, 21 Nov 2026 19:45:13 GMT"},
		{t0.Add(999 * time.Millisecond), "Sat, 21 Nov 2026 19:45:13 GMT"},
		{t0.Add(time.Second), "Sat, 21 Nov 2026 19:45:14 GMT"},
		{t0.Add(time.Hour), "Sat, 21 Nov 2026 20:45:13 GMT"},
		{t0, "Sat, 21 Nov 2026 19:45:13 GMT"}, // back again: formatted anew
	} {
		if got := dates.format(c.at); got != c.want || got != c.at.UTC().Format(http.TimeFormat) {
			t.Fatalf("format(%v) = %q, want %q", c.at, got, c.want)
		}
	}
}
