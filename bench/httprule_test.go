package bench

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/typepb"

	xhttp "github.com/goxkit/gox/transport/http"
	"github.com/goxkit/gox/transport/http/httprule"
)

// fieldJSON is the body both routes of BenchmarkHTTPRule decode: a
// google.protobuf.Field, nine fields of strings, numbers, enums and a bool.
const fieldJSON = `{"kind":"TYPE_STRING","cardinality":"CARDINALITY_OPTIONAL","number":3,"typeUrl":"type.googleapis.com/x.Y",` +
	`"oneofIndex":1,"packed":true,"jsonName":"displayName","defaultValue":"none"}`

// handField is the hand-written twin of typepb.Field for xhttp.JSON.
type handField struct {
	Kind         string `json:"kind"`
	Cardinality  string `json:"cardinality"`
	Number       int32  `json:"number"`
	Name         string `json:"name" uri:"name"`
	TypeURL      string `json:"typeUrl"`
	OneofIndex   int32  `json:"oneofIndex"`
	Packed       bool   `json:"packed"`
	JSONName     string `json:"jsonName"`
	DefaultValue string `json:"defaultValue"`
}

// BenchmarkHTTPRule serves POST /v1/fields/{name} with body "*": the route
// gctl generates from a google.api.http rule (the very call a generated
// _http.gox.go makes: protojson in and out, path variable bound into the
// message, operation "/bench.Fields/Update") against the same route
// written by hand with xhttp.JSON (encoding/json, gin's uri binding), both
// with gox's default chain.
func BenchmarkHTTPRule(b *testing.B) {
	generated := Gox(Logger(io.Discard))
	httprule.Register(generated, httprule.Rule{Method: "POST", Pattern: "/v1/fields/{name}", Operation: "/bench.Fields/Update", Body: "*"},
		func(_ context.Context, f *typepb.Field) (*typepb.Field, error) { return f, nil })
	hand := Gox(Logger(io.Discard))
	hand.POST("/v1/fields/:name", xhttp.JSON(func(_ context.Context, f *handField) (*handField, error) { return f, nil }))
	for _, s := range []struct {
		name string
		h    http.Handler
	}{{"generated", generated}, {"hand", hand}} {
		b.Run(s.name, func(b *testing.B) {
			body := strings.NewReader(fieldJSON)
			r, _ := http.NewRequest(http.MethodPost, "/v1/fields/title", body)
			r.Header.Set("Content-Type", "application/json")
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				body.Reset(fieldJSON)
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
