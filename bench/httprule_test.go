package bench

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkHTTPRule serves POST /v1/fields/{name} with body "*": the route
// gctl generates from a google.api.http rule (the very call a generated
// _http.gox.go makes: protojson in and out, path variable bound into the
// message, operation "/bench.Fields/Update") against the same route
// written by hand with xhttp.JSON (encoding/json, gin's uri binding), both
// with gox's default chain.
func BenchmarkHTTPRule(b *testing.B) {
	generated := Gox(Logger(io.Discard))
	Fields(generated, true)
	hand := Gox(Logger(io.Discard))
	Fields(hand, false)
	for _, s := range []struct {
		name string
		h    http.Handler
	}{{"generated", generated}, {"hand", hand}} {
		b.Run(s.name, func(b *testing.B) {
			body := strings.NewReader(FieldJSON)
			r, _ := http.NewRequest(http.MethodPost, "/v1/fields/title", body)
			r.Header.Set("Content-Type", "application/json")
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				body.Reset(FieldJSON)
				r.Body = io.NopCloser(body)
				clear(w.h)
				w.code = 0
				s.h.ServeHTTP(w, r)
				if w.code != http.StatusOK {
					b.Fatalf("%s: %d", s.name, w.code)
				}
			}
		})
	}
}
