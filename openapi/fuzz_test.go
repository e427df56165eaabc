package openapi_test

import (
	"encoding/json"
	"testing"

	"github.com/goxkit/gox/openapi"
	xhttp "github.com/goxkit/gox/transport/http"
)

// FuzzMerge: whatever bytes a service embeds as a generated document, the
// merge answers a document or an error, never a panic, and a document is
// JSON.
func FuzzMerge(f *testing.F) {
	f.Add([]byte(`{"openapi":"3.1.0","paths":{"/v1/x/{id}":{"get":{"responses":{"200":{"description":"OK"}}}}},"components":{"schemas":{"X":{"type":"object"}}}}`))
	f.Add([]byte(`{"openapi":"3.1.0","paths":{"/ping":{"get":{}}},"components":{"schemas":{"gox.Error":{}}},"tags":[{"name":"a"},1]}`))
	f.Add([]byte(`{"openapi":"3.1.0","paths":{"/v1/items":[]},"components":{"responses":7}}`))
	f.Add([]byte(`{"openapi":"3.0.3"}`))
	f.Add([]byte(`null`))
	routes := []xhttp.Route{{Method: "GET", Path: "/ping"}, {Method: "POST", Path: "/v1/x/:id"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := openapi.Build(routes, openapi.Options{Merge: [][]byte{b}})
		if err == nil && !json.Valid(doc) {
			t.Fatalf("not JSON: %s", doc)
		}
	})
}
