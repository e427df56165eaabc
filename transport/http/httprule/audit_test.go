package httprule_test

import (
	"context"
	"maps"
	"sync"
	"testing"

	"github.com/goxkit/gox/middleware/audit"
)

type records struct {
	mu   sync.Mutex
	recs []audit.Record
}

func (r *records) Write(_ context.Context, rec *audit.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, *rec)
	return nil
}

func (r *records) take() []audit.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.recs
	r.recs = nil
	return out
}

// The generated routes hand the bound request to the audit middleware: its
// record has the resource ids of the JSON body (and of the path variables
// bound into the message), with no code in the implementation; a method
// that is not audited writes nothing.
func TestAuditedGeneratedRoutes(t *testing.T) {
	sink := &records{}
	c := audit.DefaultConfig()
	c.Operations = []string{"/gox.test.library.v1.Library/CancelBook", "/gox.test.library.v1.Library/CreateBook"}
	c.ResourceFields = []string{"id", "reason", "book.id"}
	a, err := audit.New(c, audit.WithSink(sink))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := serve(t, &library{}, a.Middleware())

	tests := []struct {
		name, method, path, body string
		code                     int
		want                     map[string]string // nil: no record; empty: a record without resources
	}{
		{"body *", "POST", "/v1/books/b-42:cancel", `{"reason":"lost"}`, 200,
			map[string]string{"id": "b-42", "reason": "lost"}},
		{"body field", "POST", "/v1/shelves/3/books", `{"id":"b-7","title":"Dune"}`, 200,
			map[string]string{"book.id": "b-7"}},
		{"unknown field", "POST", "/v1/books/b-1:cancel", `{"nope":1}`, 400, map[string]string{}},
		{"not audited", "PATCH", "/v1/books/b-9", `{"book":{"title":"Emma"}}`, 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := do(t, tt.method, base+tt.path, tt.body); r.status != tt.code {
				t.Fatalf("%s %s: %d %s", tt.method, tt.path, r.status, r.body)
			}
			recs := sink.take()
			if tt.want == nil {
				if len(recs) != 0 {
					t.Fatalf("unaudited method wrote %+v", recs)
				}
				return
			}
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1: %+v", len(recs), recs)
			}
			if got := recs[0].Resources; !maps.Equal(got, tt.want) {
				t.Fatalf("resources %v, want %v", recs[0].Resources, tt.want)
			}
		})
	}
}
