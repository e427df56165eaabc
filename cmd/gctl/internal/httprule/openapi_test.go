package httprule

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// validDocument fails t unless doc is a valid OpenAPI 3.1 document.
func validDocument(t *testing.T, doc []byte) {
	t.Helper()
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.BuildV3Model(); err != nil {
		t.Fatalf("libopenapi: %v", err)
	}
	v, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("invalid document: %s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s at %s", se.Reason, se.KeywordLocation)
			}
		}
	}
}

// TestOpenAPIRuntimeFixture writes the document of the runtime's test
// service, which the runtime's tests validate a running server's requests
// and replies against, and checks it is a valid OpenAPI 3.1 document.
func TestOpenAPIRuntimeFixture(t *testing.T) {
	files, err := compile(t, runtimeFixture, nil, "library.proto")
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range []bool{false, true} {
		got, err := OpenAPIJSON(files, OpenAPIOptions{Title: "Library", Version: "1.0.0", Problem: problem})
		if err != nil {
			t.Fatal(err)
		}
		validDocument(t, got)
		name := "library.openapi.json"
		if problem {
			name = "library.problem.openapi.json"
		}
		golden := filepath.Join(runtimeFixture, name)
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what OpenAPIJSON writes (go test -run TestOpenAPIRuntimeFixture -update)", golden)
		}
	}
}

// TestOpenAPIMapping checks what a client reads from the document: the
// operations, their parameters, and protojson's forms of the fields.
func TestOpenAPIMapping(t *testing.T) {
	files, err := compile(t, runtimeFixture, nil, "library.proto")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := OpenAPIJSON(files, OpenAPIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	get := func(v any, path ...string) any {
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("no %q in %v (path %q)", p, v, path)
			}
			v = m[p]
		}
		return v
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	for path, method := range map[string]string{
		"/v1/{name}": "get", "/v1/archive/{name}": "get", "/v1/shelves/{shelf.id}/books": "get",
		"/v1/books/{book.id}": "patch", "/v1/books/{id}:cancel": "post", "/v1/titles/{name}": "get", "/v1/tags/{name}": "get",
	} {
		if get(paths, path, method) == nil {
			t.Errorf("no %s %s in %v", method, path, keys(paths))
		}
	}
	op := get(paths, "/v1/{name}", "get")
	if id := get(op, "operationId"); id != "Library_GetBook" {
		t.Errorf("operationId %v", id)
	}
	if id := get(paths, "/v1/archive/{name}", "get", "operationId"); id != "Library_GetBook_1" {
		t.Errorf("additional binding operationId %v", id)
	}
	if s := get(op, "summary"); s != "Gets a book." {
		t.Errorf("summary %q", s)
	}
	if d := get(op, "description").(string); strings.Contains(d, "errors:") || !strings.Contains(d, "named by its shelf") {
		t.Errorf("description %q", d)
	}
	p := get(op, "parameters").([]any)[0]
	if get(p, "schema", "pattern") != "^shelves/[^/]+/books/[^/]+$" {
		t.Errorf("name parameter %v", p)
	}
	if enum := get(op, "responses", "404", "content", "application/json", "schema", "allOf").([]any)[1]; !strings.Contains(toJSON(enum), `"BOOK_NOT_FOUND","ROUTE_NOT_FOUND"`) {
		t.Errorf("404 reasons %s", toJSON(enum))
	}
	// one path per shape: CreateBook's {shelf_id} takes ListBooks' name
	post := get(paths, "/v1/shelves/{shelf.id}/books", "post")
	if p := toJSON(get(post, "parameters").([]any)[0]); !strings.Contains(p, `"name":"shelf.id"`) || !strings.Contains(p, `"description":"binds shelf_id"`) {
		t.Errorf("renamed path parameter %s", p)
	}
	if _, dup := paths["/v1/shelves/{shelf_id}/books"]; dup {
		t.Error("two paths of the same shape")
	}
	if enum := toJSON(get(post, "responses", "409")); !strings.Contains(enum, "BOOK_EXISTS") {
		t.Errorf("declared 409 missing: %s", enum)
	}
	var query []string
	for _, p := range get(paths, "/v1/shelves/{shelf.id}/books", "get", "parameters").([]any) {
		if get(p, "in") == "query" {
			query = append(query, get(p, "name").(string))
		}
	}
	if got := strings.Join(query, " "); got != "shelf.theme pageSize genres since minPages mask maxReadTime ids" {
		t.Errorf("query parameters %q", got)
	}
	book := get(doc, "components", "schemas", "gox.test.library.v1.Book", "properties")
	for field, want := range map[string]string{
		"pages":     `{"format":"int64","pattern":"^-?[0-9]+$","type":"string"}`,
		"genre":     `{"$ref":"#/components/schemas/gox.test.library.v1.Genre"}`,
		"published": `{"format":"date-time","type":["string","null"]}`,
		"subtitle":  `{"type":["string","null"]}`,
		"labels":    `{"additionalProperties":{"type":"string"},"type":"object"}`,
		"extra":     `{"type":["object","null"]}`,
		"cover":     `{"contentEncoding":"base64","type":"string"}`,
	} {
		if got := toJSON(get(book, field)); got != want {
			t.Errorf("Book.%s: %s, want %s", field, got, want)
		}
	}
	if got := toJSON(get(doc, "components", "schemas", "gox.test.library.v1.Book", "not")); got != `{"anyOf":[{"required":["isbn","catalogNo"]}]}` {
		t.Errorf("oneof: %s", got)
	}
	if got := toJSON(get(doc, "components", "schemas", "gox.test.library.v1.Genre", "enum")); got != `["GENRE_UNSPECIFIED","FICTION","SCIENCE"]` {
		t.Errorf("enum: %s", got)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
