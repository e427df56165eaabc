package conformance_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"testing"

	"github.com/goxkit/gox/openapi"
	xhttp "github.com/goxkit/gox/transport/http"
)

// routeSpelling is a path parameter as httprule's gin paths name it.
var routeSpelling = regexp.MustCompile(`\{p[0-9]+\}`)

// library is the routes gctl generates for transport/http/httprule's test
// service (RegisterLibraryHTTP), registered as it registers them: under
// their gRPC methods, at gin paths of their own spelling.
func library(t *testing.T) *xhttp.Server {
	t.Helper()
	s := service(t, xhttp.DefaultConfig())
	const m = "/gox.test.library.v1.Library/"
	for _, r := range [][3]string{
		{"GET", "/v1/shelves/:p2/books/:p4", "GetBook"},
		{"GET", "/v1/archive/*p2", "GetBook"},
		{"GET", "/v1/shelves/:p2/books", "ListBooks"},
		{"POST", "/v1/shelves/:p2/books", "CreateBook"},
		{"PATCH", "/v1/books/:p2", "UpdateBook"},
		{"POST", "/v1/books/:p2", "CancelBook"},
		{"GET", "/v1/titles/shelves/:p3/books/:p5", "GetTitle"},
		{"GET", "/v1/tags/:p2", "GetTags"},
	} {
		s.HandleOperation(r[0], r[1], m+r[2], func(*xhttp.Context) error { return nil })
	}
	return s
}

// With gctl's document of the bindings merged in, the document is valid
// and describes each of those routes once, as gctl wrote it; the service's
// other routes are described as before.
func TestGeneratedRoutesWithTheirDocument(t *testing.T) {
	generated, err := os.ReadFile("../../transport/http/httprule/internal/testpb/library.openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var gen map[string]any
	if err := json.Unmarshal(generated, &gen); err != nil {
		t.Fatal(err)
	}
	s := library(t)
	m, _ := document(t, s, openapi.Options{Merge: [][]byte{generated}})
	paths := at(t, m, "paths").(map[string]any)
	for p, item := range gen["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			if got := at(t, paths, p, method); !reflect.DeepEqual(got, op) {
				t.Errorf("%s %s:\n got %s\nwant %s (the generated document's)", method, p, jsonOf(got), jsonOf(op))
			}
		}
	}
	for p := range paths {
		if routeSpelling.MatchString(p) {
			t.Errorf("path %s: a generated route described by the server too", p)
		}
	}
	at(t, paths, "/v1/orgs/{org}/users", "post") // the service's own

	// nothing merged: still a valid document, each route by method and path
	m, _ = document(t, s, openapi.Options{})
	if op := at(t, m, "paths", "/v1/shelves/{p2}/books/{p4}", "get").(map[string]any); op["operationId"] != nil || op["requestBody"] != nil {
		t.Errorf("a route nothing describes: %s", jsonOf(op))
	}
}
