package http_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/goxkit/gox/middleware/validate"
	xhttp "github.com/goxkit/gox/transport/http"
)

type address struct {
	City string `json:"city" binding:"required"`
}

type item struct {
	Name string `json:"name" binding:"required"`
}

type audit struct {
	By string `json:"by" binding:"required"`
}

// order exercises the names a client sees: json tags, nesting, elements,
// map values, an embedded struct (flattened in JSON), a query parameter and
// a field with no tag.
type order struct {
	audit
	Text    string            `json:"text" binding:"required"`
	Address *address          `json:"address" binding:"required"`
	Items   []item            `json:"items" binding:"dive"`
	Tags    map[string]string `json:"tags" binding:"dive,max=3"`
	DryRun  bool              `form:"dry_run" json:"-"`
	Note    string            `binding:"omitempty,min=2"`
	Page    int               `form:"page" json:"-" binding:"omitempty,lte=100"`
	ID      string            `uri:"id" json:"-" binding:"required"`
}

func TestBindingNamesTheJSONField(t *testing.T) {
	s := newServer(t, xhttp.DefaultConfig())
	var got *order
	s.POST("/orders/:id", xhttp.JSON(func(_ context.Context, o *order) (*order, error) {
		got = o
		return o, nil
	}))
	tests := []struct {
		name, target, body string
		message, field     string
	}{
		{"missing field", "/orders/7", `{"by":"ann","address":{"city":"x"}}`, `field "text" fails "required"`, "text"},
		{"nested", "/orders/7", `{"by":"ann","text":"t","address":{}}`, `field "address.city" fails "required"`, "address.city"},
		{"element of an array", "/orders/7", `{"by":"ann","text":"t","address":{"city":"x"},"items":[{"name":"a"},{"name":"b"},{}]}`,
			`field "items[2].name" fails "required"`, "items[2].name"},
		{"map value", "/orders/7", `{"by":"ann","text":"t","address":{"city":"x"},"tags":{"a.b":"long"}}`, `field "tags[a.b]" fails "max"`, "tags[a.b]"},
		{"embedded", "/orders/7", `{"text":"t","address":{"city":"x"}}`, `field "by" fails "required"`, "by"},
		{"no tag", "/orders/7", `{"by":"ann","text":"t","address":{"city":"x"},"Note":"n"}`, `field "Note" fails "min"`, "Note"},
		{"query parameter", "/orders/7?page=101", `{"by":"ann","text":"t","address":{"city":"x"}}`, `field "page" fails "lte"`, "page"},
		{"mistyped field of an embedded struct", "/orders/7", `{"by":[]}`, `field "by" must be string, got JSON array`, "by"},
		{"mistyped nested field", "/orders/7", `{"items":[{"name":1}]}`, `field "items.name" must be string, got JSON number`, "items.name"},
		{"query parameter of the wrong type", "/orders/7?dry_run=true&page=abc", `{}`, `query parameter "page": strconv.ParseInt: parsing "abc": invalid syntax`, "page"},
		{"two at once", "/orders/7", `{"address":{"city":"x"}}`, `field "by" fails "required"; field "text" fails "required"`, "by,text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, m := do(s, http.MethodPost, tt.target, tt.body)
			data, _ := m["data"].(map[string]any)
			if resp.StatusCode != 400 || m["reason"] != "INVALID_FIELD" || m["message"] != tt.message || data["field"] != tt.field {
				t.Fatalf("status %d body %v\nwant message %q, data.field %q", resp.StatusCode, m, tt.message, tt.field)
			}
		})
	}
	// A query or path parameter does not make the body's required fields
	// be checked before the body is read.
	resp, m := do(s, http.MethodPost, "/orders/7?dry_run=true&page=2", `{"by":"ann","text":"t","address":{"city":"x"}}`)
	if resp.StatusCode != 200 || got == nil || got.ID != "7" || !got.DryRun || got.Page != 2 || got.Text != "t" {
		t.Fatalf("status %d body %v, bound %+v", resp.StatusCode, m, got)
	}
}

// With the validation middleware on the chain, JSON routes validate with
// its validator and options: fail fast names only the first field of two.
func TestJSONUsesTheValidationMiddleware(t *testing.T) {
	for _, c := range []struct {
		name  string
		opts  []xhttp.Option
		field string
	}{
		{"binding tags", nil, "by,text"},
		{"middleware, fail fast", []xhttp.Option{xhttp.WithMiddleware(validate.Server(validate.WithFailFast()))}, "by"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t, xhttp.DefaultConfig(), c.opts...)
			s.POST("/orders/:id", xhttp.JSON(func(_ context.Context, o *order) (*order, error) { return o, nil }))
			resp, body := do(s, http.MethodPost, "/orders/7", `{"address":{"city":"x"}}`)
			data, _ := body["data"].(map[string]any)
			if resp.StatusCode != 400 || body["reason"] != "INVALID_FIELD" || data["field"] != c.field {
				t.Fatalf("%d %v; want 400 INVALID_FIELD on %q", resp.StatusCode, body, c.field)
			}
		})
	}
}
