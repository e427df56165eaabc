package http_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	xhttp "github.com/goxkit/gox/transport/http"
)

type docUserReq struct {
	ID string `uri:"id" binding:"required"`
}

type docUser struct {
	ID string `json:"id"`
}

func getDocUser(_ context.Context, r *docUserReq) (*docUser, error) { return &docUser{ID: r.ID}, nil }

// The routes a server lists are what an API document is made from: each
// with its full path, the Req and Resp of a JSON handler, and what Doc said;
// a route registered with HandleOperation under the name it was given.
func TestRoutesListTypesAndDocs(t *testing.T) {
	s, err := xhttp.NewServer(xhttp.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	v1 := s.Group("/v1")
	v1.GET("/users/:id", xhttp.JSON(getDocUser))
	v1.DELETE("/users/:id", xhttp.Doc("Delete a user", "Gone for good.", xhttp.JSON(getDocUser)))
	v1.POST("/raw", xhttp.Doc("Raw", "", func(c *xhttp.Context) error { c.String(http.StatusOK, "raw"); return nil }))
	s.GET("/plain", func(c *xhttp.Context) error { c.String(http.StatusOK, "plain"); return nil })
	// a route of a proto HTTP binding, as gctl generates it
	v1.HandleOperation("GET", "/books/:p2", "/lib.v1.Library/GetBook", func(c *xhttp.Context) error { return nil })

	want := []xhttp.Route{
		{Method: "GET", Path: "/ping", Operation: "GET /ping"},
		{Method: "GET", Path: "/v1/users/:id", Operation: "GET /v1/users/:id",
			Request: reflect.TypeFor[docUserReq](), Response: reflect.TypeFor[docUser]()},
		{Method: "DELETE", Path: "/v1/users/:id", Operation: "DELETE /v1/users/:id",
			Request: reflect.TypeFor[docUserReq](), Response: reflect.TypeFor[docUser](),
			Summary: "Delete a user", Description: "Gone for good."},
		{Method: "POST", Path: "/v1/raw", Operation: "POST /v1/raw", Summary: "Raw"},
		{Method: "GET", Path: "/plain", Operation: "GET /plain"},
		{Method: "GET", Path: "/v1/books/:p2", Operation: "/lib.v1.Library/GetBook"},
	}
	got := s.Routes()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("routes:\n got %+v\nwant %+v", got, want)
	}
	for i, r := range got {
		if r.Named() != (i == len(got)-1) {
			t.Errorf("%s %s: Named %v", r.Method, r.Path, r.Named())
		}
	}
	if (xhttp.Route{Method: "GET", Path: "/x"}).Named() {
		t.Error("a route without an operation name is Named")
	}
	if f := s.ErrorFormat(); f != "envelope" {
		t.Fatalf("error format %q, want envelope", f)
	}

	// Doc changes nothing of what the route does
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/v1/users/42", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != `{"id":"42"}` {
		t.Fatalf("DELETE /v1/users/42: %d %s", rec.Code, rec.Body)
	}
}

// Mount serves a handler outside the routes: at a path, or under one.
func TestMount(t *testing.T) {
	s, err := xhttp.NewServer(xhttp.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.URL.Path) })
	s.Mount("/doc.json", echo)
	s.Mount("/pages/", echo)
	for _, c := range []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/doc.json", 200, "/doc.json"},
		{"GET", "/pages/", 200, "/pages/"},
		{"GET", "/pages/a/b.js", 200, "/pages/a/b.js"},
		{"HEAD", "/pages/a", 200, ""},
		{"GET", "/pages", http.StatusMovedPermanently, ""},
		{"POST", "/doc.json", http.StatusMethodNotAllowed, ""},
	} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.code || (c.body != "" && rec.Body.String() != c.body) {
			t.Errorf("%s %s: %d %q, want %d %q", c.method, c.path, rec.Code, rec.Body, c.code, c.body)
		}
	}
	if n := len(s.Routes()); n != 1 { // /ping
		t.Fatalf("Mount added routes: %+v", s.Routes())
	}
}
