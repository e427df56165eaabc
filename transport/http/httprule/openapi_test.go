package httprule_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goxkit/gox/openapi"
	xhttp "github.com/goxkit/gox/transport/http"
	"github.com/goxkit/gox/transport/http/httprule/internal/testpb"
)

// libraryServer is a server with the generated routes of the Library service.
func libraryServer(t *testing.T) *xhttp.Server {
	t.Helper()
	s, err := xhttp.NewServer(xhttp.Config{})
	if err != nil {
		t.Fatal(err)
	}
	testpb.RegisterLibraryHTTP(s, testpb.UnimplementedLibraryServer{})
	return s
}

// The generated routes are listed, under their gRPC methods.
func TestRoutesListTheGeneratedRoutes(t *testing.T) {
	var got []string
	for _, r := range libraryServer(t).Routes() {
		if r.Named() {
			got = append(got, r.Method+" "+r.Path+" "+r.Operation)
		}
	}
	const m = "/gox.test.library.v1.Library/"
	want := []string{
		"GET /v1/shelves/:p2/books/:p4 " + m + "GetBook",
		"GET /v1/archive/*p2 " + m + "GetBook",
		"GET /v1/shelves/:p2/books " + m + "ListBooks",
		"POST /v1/shelves/:p2/books " + m + "CreateBook",
		"PATCH /v1/books/:p2 " + m + "UpdateBook",
		"POST /v1/books/:p2 " + m + "CancelBook",
		"GET /v1/titles/shelves/:p3/books/:p5 " + m + "GetTitle",
		"GET /v1/tags/:p2 " + m + "GetTags",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("named routes:\n got %q\nwant %q", got, want)
	}
}

// operations lists a document's operations as "method path operationId".
func operations(t *testing.T, doc []byte) []string {
	t.Helper()
	var d struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	var ops []string
	shapes := map[string]string{}
	param := regexp.MustCompile(`\{[^}]*\}`)
	for p, item := range d.Paths {
		shape := param.ReplaceAllString(p, "{}")
		if other, ok := shapes[shape]; ok {
			t.Errorf("paths %s and %s are the same path to OpenAPI", other, p)
		}
		shapes[shape] = p
		for method, raw := range item {
			var op struct {
				OperationID string `json:"operationId"`
			}
			if json.Unmarshal(raw, &op) == nil && strings.HasPrefix(p, "/v1/") {
				ops = append(ops, method+" "+p+" "+op.OperationID)
			}
		}
	}
	slices.Sort(ops)
	return ops
}

// With gctl's document of the bindings merged in, the generated routes are
// described by it alone: its operations, each once, and no path of the
// routes' own spelling ("/v1/shelves/{p2}/books/{p4}").
func TestGeneratedRoutesAreDescribedByTheMergedDocument(t *testing.T) {
	generated, err := os.ReadFile("internal/testpb/library.openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	s := libraryServer(t)
	doc, err := openapi.Document(s, openapi.Options{Merge: [][]byte{generated}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := operations(t, doc), operations(t, generated); !slices.Equal(got, want) {
		t.Fatalf("operations:\n got %q\nwant %q (the generated document's)", got, want)
	}

	// Nothing merged: each route by its method and path only.
	doc, err = openapi.Document(s, openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"get /v1/archive/{p2} ", "get /v1/shelves/{p2}/books ", "get /v1/shelves/{p2}/books/{p4} ",
		"get /v1/tags/{p2} ", "get /v1/titles/shelves/{p3}/books/{p5} ",
		"patch /v1/books/{p2} ", "post /v1/books/{p2} ", "post /v1/shelves/{p2}/books ",
	}
	if got := operations(t, doc); !slices.Equal(got, want) {
		t.Fatalf("without a merged document:\n got %q\nwant %q", got, want)
	}
	var d map[string]any
	_ = json.Unmarshal(doc, &d)
	op := d["paths"].(map[string]any)["/v1/shelves/{p2}/books"].(map[string]any)["post"].(map[string]any)
	if _, ok := op["requestBody"]; ok || len(op["parameters"].([]any)) != 1 {
		t.Errorf("a route no document describes has more than its method and path: %v", op)
	}

	// A document older than the routes (CancelBook missing): the route it
	// does not describe is there by method and path, at the document's
	// spelling of a path of the same shape, not as a second one.
	var older map[string]any
	_ = json.Unmarshal(generated, &older)
	delete(older["paths"].(map[string]any), "/v1/books/{id}:cancel")
	b, _ := json.Marshal(older)
	doc, err = openapi.Document(s, openapi.Options{Merge: [][]byte{b}})
	if err != nil {
		t.Fatal(err)
	}
	got := operations(t, doc)
	if !slices.Contains(got, "post /v1/books/{book.id} ") || !slices.Contains(got, "patch /v1/books/{book.id} Library_UpdateBook") || len(got) != 8 {
		t.Fatalf("with an older document: %q", got)
	}
}
