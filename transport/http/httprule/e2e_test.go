package httprule_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/validate"
	"github.com/goxkit/gox/transport"
	xhttp "github.com/goxkit/gox/transport/http"
	"github.com/goxkit/gox/transport/http/httprule/internal/testpb"
)

// library implements the gRPC server interface; the generated routes serve it.
type library struct {
	testpb.UnimplementedLibraryServer
	mu   sync.Mutex
	last proto.Message // the request the last call got
}

func (l *library) got(m proto.Message) {
	l.mu.Lock()
	l.last = proto.Clone(m)
	l.mu.Unlock()
}

func (l *library) request() proto.Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

var published = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func book(name string) *testpb.Book {
	return &testpb.Book{Name: name, Id: "b1", Title: "Dune", Pages: 412, Genre: testpb.Genre_FICTION,
		Published: timestamppb.New(published), ReadTime: durationpb.New(90 * time.Minute),
		Subtitle: wrapperspb.String("Book One"), Labels: map[string]string{"lang": "en"}, Tags: []string{"sf", "classic"},
		Format: &testpb.Book_Isbn{Isbn: "978-0441013593"}}
}

func (l *library) GetBook(_ context.Context, r *testpb.GetBookRequest) (*testpb.Book, error) {
	l.got(r)
	switch r.Name {
	case "shelves/1/books/404":
		st, _ := status.New(codes.NotFound, "no such book").WithDetails(&errdetails.ErrorInfo{Reason: "BOOK_NOT_FOUND", Metadata: map[string]string{"name": r.Name}})
		return nil, st.Err()
	case "shelves/1/books/plain":
		return nil, status.Error(codes.PermissionDenied, "not yours")
	}
	return book(r.Name), nil
}

func (l *library) ListBooks(_ context.Context, r *testpb.ListBooksRequest) (*testpb.ListBooksResponse, error) {
	l.got(r)
	return &testpb.ListBooksResponse{Books: []*testpb.Book{book("shelves/1/books/1")}, Echo: r}, nil
}

func (l *library) CreateBook(_ context.Context, r *testpb.CreateBookRequest) (*testpb.Book, error) {
	l.got(r)
	if r.Book.GetTitle() == "taken" {
		return nil, errors.Conflict("BOOK_EXISTS", "a book of that title is on the shelf")
	}
	return r.Book, nil
}

func (l *library) UpdateBook(_ context.Context, r *testpb.UpdateBookRequest) (*testpb.Book, error) {
	l.got(r)
	return r.Book, nil
}

func (l *library) CancelBook(_ context.Context, r *testpb.CancelBookRequest) (*emptypb.Empty, error) {
	l.got(r)
	return &emptypb.Empty{}, nil
}

func (l *library) GetTitle(ctx context.Context, r *testpb.GetBookRequest) (*testpb.Book, error) {
	return l.GetBook(ctx, r)
}

func (l *library) GetTags(ctx context.Context, r *testpb.GetBookRequest) (*testpb.Book, error) {
	return l.GetBook(ctx, r)
}

// serve runs a gox HTTP server with the generated routes of impl; ops
// records the operation each request ran under.
func serve(t testing.TB, impl testpb.LibraryServer, extra ...middleware.Middleware) (base string, ops func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	record := func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			if tr, ok := transport.FromServerContext(ctx); ok {
				mu.Lock()
				seen = append(seen, tr.Operation())
				mu.Unlock()
			}
			return next(ctx, req)
		}
	}
	s, err := xhttp.NewServer(xhttp.Config{}, xhttp.WithMiddleware(append([]middleware.Middleware{record}, extra...)...))
	if err != nil {
		t.Fatal(err)
	}
	testpb.RegisterLibraryHTTP(s, impl)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.URL, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

type reply struct {
	status int
	ctype  string
	body   string
}

func do(t testing.TB, method, url, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, s)
	}
	return m
}

func TestPathVariablesAndProtoJSON(t *testing.T) {
	impl := &library{}
	base, ops := serve(t, impl)
	r := do(t, "GET", base+"/v1/shelves/1/books/2", "")
	if r.status != 200 || !strings.HasPrefix(r.ctype, "application/json") {
		t.Fatalf("got %d %s: %s", r.status, r.ctype, r.body)
	}
	if got := impl.request().(*testpb.GetBookRequest).Name; got != "shelves/1/books/2" {
		t.Errorf("name = %q, want shelves/1/books/2", got)
	}
	m := decode(t, r.body)
	// protojson: JSON names, int64 as a string, enum by name, WKT forms, unset fields present
	want := map[string]any{"name": "shelves/1/books/2", "pages": "412", "genre": "FICTION", "published": "2024-01-02T03:04:05Z",
		"readTime": "5400s", "subtitle": "Book One", "isbn": "978-0441013593", "cover": "", "rating": float64(0), "available": false}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v (body %s)", k, m[k], v, r.body)
		}
	}
	if got := ops(); len(got) != 1 || got[0] != "/gox.test.library.v1.Library/GetBook" {
		t.Errorf("operations = %q, want the gRPC full method", got)
	}

	// additional binding, a '**' variable keeping an escaped '/'
	r = do(t, "GET", base+"/v1/archive/old/a%2Fb/c%20d", "")
	if r.status != 200 {
		t.Fatalf("archive: %d %s", r.status, r.body)
	}
	if got := impl.request().(*testpb.GetBookRequest).Name; got != "old/a%2Fb/c d" {
		t.Errorf("archive name = %q, want old/a%%2Fb/c d", got)
	}
	if got := ops(); got[len(got)-1] != "/gox.test.library.v1.Library/GetBook" {
		t.Errorf("additional binding ran under %q", got[len(got)-1])
	}

	// a path the template does not match
	if r := do(t, "GET", base+"/v1/shelves/1/chairs/2", ""); r.status != 404 {
		t.Errorf("unmatched path: %d %s", r.status, r.body)
	}
}

func TestQueryParameters(t *testing.T) {
	impl := &library{}
	base, _ := serve(t, impl)
	r := do(t, "GET", base+"/v1/shelves/7/books?page_size=5&genres=FICTION&genres=2&since=2024-01-02T03:04:05Z"+
		"&minPages=100&mask=title,readTime&shelf.theme=sf&maxReadTime=1.5s&ids=1&ids=9007199254740993", "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	got := impl.request().(*testpb.ListBooksRequest)
	want := &testpb.ListBooksRequest{Shelf: &testpb.Shelf{Id: 7, Theme: "sf"}, PageSize: 5,
		Genres: []testpb.Genre{testpb.Genre_FICTION, testpb.Genre_SCIENCE}, Since: timestamppb.New(published),
		MinPages: wrapperspb.Int32(100), MaxReadTime: durationpb.New(1500 * time.Millisecond), Ids: []int64{1, 9007199254740993}}
	want.Mask = got.Mask // compared below
	if !proto.Equal(got, want) {
		t.Errorf("bound %v\nwant  %v", got, want)
	}
	if p := got.Mask.GetPaths(); len(p) != 2 || p[0] != "title" || p[1] != "read_time" {
		t.Errorf("mask = %q", p)
	}
	echo := decode(t, r.body)["echo"].(map[string]any)
	if ids := echo["ids"].([]any); ids[1] != "9007199254740993" {
		t.Errorf("int64 in a reply = %#v, want a string", ids[1])
	}

	for _, tc := range []struct{ query, field, reason string }{
		{"nope=1", "nope", "INVALID_FIELD"},
		{"page_size=abc", "page_size", "INVALID_FIELD"},
		{"genres=HORROR", "genres", "INVALID_FIELD"},
		{"shelf.id=3", "shelf.id", "INVALID_FIELD"}, // bound by the path
		{"since=yesterday", "since", "INVALID_FIELD"},
	} {
		r := do(t, "GET", base+"/v1/shelves/7/books?"+tc.query, "")
		m := decode(t, r.body)
		if r.status != 400 || m["reason"] != tc.reason || fieldOf(m) != tc.field {
			t.Errorf("?%s: %d %s, want 400 %s naming %s", tc.query, r.status, r.body, tc.reason, tc.field)
		}
	}
	// a path variable that does not parse as its field
	r = do(t, "GET", base+"/v1/shelves/abc/books", "")
	if m := decode(t, r.body); r.status != 400 || fieldOf(m) != "shelf.id" {
		t.Errorf("bad path variable: %d %s", r.status, r.body)
	}
}

func TestBody(t *testing.T) {
	impl := &library{}
	base, ops := serve(t, impl)
	// body: "book", the rest from the path
	r := do(t, "POST", base+"/v1/shelves/3/books", `{"title":"Solaris","pages":"204","genre":"SCIENCE","published":"1961-01-01T00:00:00Z"}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	cr := impl.request().(*testpb.CreateBookRequest)
	if cr.ShelfId != 3 || cr.Book.GetTitle() != "Solaris" || cr.Book.GetPages() != 204 || cr.Book.GetGenre() != testpb.Genre_SCIENCE {
		t.Errorf("bound %v", cr)
	}
	if got := ops(); got[0] != "/gox.test.library.v1.Library/CreateBook" {
		t.Errorf("operation %q", got[0])
	}

	// body: "*", a path variable overriding the body's field
	r = do(t, "PATCH", base+"/v1/books/b7", `{"book":{"id":"other","title":"New"},"updateMask":"title"}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	ur := impl.request().(*testpb.UpdateBookRequest)
	if ur.Book.GetId() != "b7" || ur.Book.GetTitle() != "New" || len(ur.UpdateMask.GetPaths()) != 1 {
		t.Errorf("bound %v", ur)
	}
	// body "*": the query is not bound
	if r := do(t, "PATCH", base+"/v1/books/b7?updateMask=pages", `{}`); r.status != 200 || impl.request().(*testpb.UpdateBookRequest).UpdateMask != nil {
		t.Errorf("query with body *: %d %s, bound %v", r.status, r.body, impl.request())
	}

	// a verb
	r = do(t, "POST", base+"/v1/books/b7:cancel", `{"reason":"late"}`)
	if r.status != 200 || strings.TrimSpace(r.body) != "{}" {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if c := impl.request().(*testpb.CancelBookRequest); c.Id != "b7" || c.Reason != "late" {
		t.Errorf("cancel bound %v", c)
	}
	if r := do(t, "POST", base+"/v1/books/b7:order", `{}`); r.status != 404 {
		t.Errorf("another verb: %d %s", r.status, r.body)
	}

	for _, tc := range []struct{ url, body, reason, field string }{
		{"/v1/shelves/3/books", `{"title":"x","nope":1}`, "INVALID_FIELD", "book.nope"},
		{"/v1/shelves/3/books", `{"pages":"many"}`, "INVALID_FIELD", "book.pages"},
		{"/v1/shelves/3/books", `{"title":`, "MALFORMED_JSON", ""},
		{"/v1/books/b1:cancel", `{"reasons":"x"}`, "INVALID_FIELD", "reasons"},
	} {
		r := do(t, "POST", base+tc.url, tc.body)
		m := decode(t, r.body)
		field := fieldOf(m)
		if r.status != 400 || m["reason"] != tc.reason || field != tc.field {
			t.Errorf("%s %s: %d %s, want 400 %s naming %q", tc.url, tc.body, r.status, r.body, tc.reason, tc.field)
		}
	}
}

func TestResponseBody(t *testing.T) {
	base, _ := serve(t, &library{})
	if r := do(t, "GET", base+"/v1/titles/shelves/1/books/2", ""); r.status != 200 || r.body != `"Dune"` {
		t.Errorf("title: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", base+"/v1/tags/x", ""); r.status != 200 || strings.ReplaceAll(r.body, " ", "") != `["sf","classic"]` {
		t.Errorf("tags: %d %s", r.status, r.body)
	}
}

func TestImplErrors(t *testing.T) {
	base, _ := serve(t, &library{})
	for _, tc := range []struct {
		method, url, body string
		status            int
		reason            string
	}{
		{"GET", "/v1/shelves/1/books/404", "", 404, "BOOK_NOT_FOUND"},            // gRPC status with ErrorInfo
		{"GET", "/v1/shelves/1/books/plain", "", 403, ""},                        // plain gRPC status
		{"POST", "/v1/shelves/1/books", `{"title":"taken"}`, 409, "BOOK_EXISTS"}, // gox error
	} {
		r := do(t, tc.method, base+tc.url, tc.body)
		m := decode(t, r.body)
		if r.status != tc.status || m["code"] != float64(tc.status) || m["reason"] != nilIfEmpty(tc.reason, m["reason"]) {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.url, r.status, r.body, tc.status, tc.reason)
		}
	}
	// an unimplemented method is 501
	base2, _ := serve(t, testpb.UnimplementedLibraryServer{})
	if r := do(t, "GET", base2+"/v1/tags/x", ""); r.status != 501 {
		t.Errorf("unimplemented: %d %s", r.status, r.body)
	}
}

func nilIfEmpty(want string, got any) any {
	if want == "" {
		return got
	}
	return want
}

// fieldOf is the "field" metadata of an error envelope.
func fieldOf(m map[string]any) string {
	data, _ := m["data"].(map[string]any)
	f, _ := data["field"].(string)
	return f
}

// TestEscapedVariable: a variable of several segments may come as one
// segment with its '/' escaped, as OpenAPI clients send path parameters.
func TestEscapedVariable(t *testing.T) {
	impl := &library{}
	base, _ := serve(t, impl)
	if r := do(t, "GET", base+"/v1/shelves%2F1%2Fbooks%2F2", ""); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if got := impl.request().(*testpb.GetBookRequest).Name; got != "shelves/1/books/2" {
		t.Errorf("name = %q", got)
	}
}

// titleRequired is a stand-in for protovalidate: a book's title is required.
type titleRequired struct{}

func (titleRequired) ValidateProto(m proto.Message, _ bool) ([]validate.Violation, error) {
	if b, ok := m.(*testpb.CreateBookRequest); ok && b.GetBook().GetTitle() == "" {
		return []validate.Violation{{Field: "book.title", Rule: "required"}}, nil
	}
	return nil, nil
}

// With the validation middleware on the chain, a generated route validates
// the request once it is bound (body, path and query), answers 400
// INVALID_FIELD naming the field, and never calls the implementation.
func TestValidation(t *testing.T) {
	impl := &library{}
	base, _ := serve(t, impl, validate.Server(validate.WithProto(titleRequired{})))
	r := do(t, "POST", base+"/v1/shelves/3/books", `{"pages":"204"}`)
	if m := decode(t, r.body); r.status != 400 || m["reason"] != validate.ReasonInvalidField || fieldOf(m) != "book.title" {
		t.Fatalf("an invalid book: %d %s; want 400 INVALID_FIELD on book.title", r.status, r.body)
	}
	if impl.request() != nil {
		t.Fatal("the implementation was called with an invalid request")
	}
	if r := do(t, "POST", base+"/v1/shelves/3/books", `{"title":"Solaris"}`); r.status != 200 {
		t.Fatalf("a valid book: %d %s", r.status, r.body)
	}
}
