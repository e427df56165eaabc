package conformance_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/goxkit/gox/errors"
	xhttp "github.com/goxkit/gox/transport/http"
	"github.com/goxkit/gox/transport/http/httprule/internal/testpb"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// TestRepliesMatchOpenAPI sends real requests to a gox server serving the
// generated routes and validates each request and its reply, successes and
// errors, against the OpenAPI document gctl wrote for the same .proto
// (internal/testpb/library.openapi.json).
func TestRepliesMatchOpenAPI(t *testing.T) {
	t.Run("envelope", func(t *testing.T) { repliesMatch(t, "envelope", "../internal/testpb/library.openapi.json") })
	t.Run("problem", func(t *testing.T) { repliesMatch(t, "problem", "../internal/testpb/library.problem.openapi.json") })
}

// repliesMatch serves the routes with the error format errorFormat and
// validates traffic against the document at specPath.
func repliesMatch(t *testing.T, errorFormat, specPath string) {
	spec, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		t.Fatal(err)
	}
	// regex path matching only: the validator's radix tree takes a segment
	// with a suffix ("{id}:cancel") for a literal and settles for the
	// parameter sibling ("{book.id}", PATCH only) whatever the method
	v, errs := validator.NewValidator(doc, config.WithPathTree(noLookup{}))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s, err := xhttp.NewServer(xhttp.Config{ErrorFormat: errorFormat})
	if err != nil {
		t.Fatal(err)
	}
	testpb.RegisterLibraryHTTP(s, library{})
	ts := httptest.NewServer(s)
	defer ts.Close()
	base := ts.URL
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/v1/shelves%2F1%2Fbooks%2F2", "", 200},
		{"GET", "/v1/archive/old%2Fa", "", 200},
		{"GET", "/v1/shelves/7/books?pageSize=5&genres=FICTION&genres=SCIENCE&since=2024-01-02T03:04:05Z&minPages=3&ids=1&ids=2", "", 200},
		{"POST", "/v1/shelves/3/books", `{"title":"Solaris","pages":"204","genre":"SCIENCE"}`, 200},
		{"PATCH", "/v1/books/b7", `{"book":{"title":"New"},"updateMask":"title"}`, 200},
		{"POST", "/v1/books/b7:cancel", `{"reason":"late"}`, 200},
		{"GET", "/v1/titles/shelves%2F1%2Fbooks%2F2", "", 200},
		{"GET", "/v1/tags/x", "", 200},
		{"GET", "/v1/shelves%2F1%2Fbooks%2F404", "", 404},
		{"POST", "/v1/shelves/3/books", `{"title":"taken"}`, 409},
		{"GET", "/v1/shelves/abc/books", "", 400},
	} {
		req, err := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Body, req.ContentLength = http.NoBody, 0
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, resp.StatusCode, body, tc.status)
			continue
		}
		// the validator reads both bodies again
		vreq, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
		vreq.Header = req.Header.Clone()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if tc.status >= 400 {
			// a request the server refuses need not be valid; its reply must be
			if ok, verrs := v.ValidateHttpResponse(vreq, resp); !ok {
				for _, e := range verrs {
					t.Errorf("%s %s: reply %s: %s: %s", tc.method, tc.path, body, e.Message, e.Reason)
				}
			}
			continue
		}
		if ok, verrs := v.ValidateHttpRequestResponse(vreq, resp); !ok {
			for _, e := range verrs {
				t.Errorf("%s %s -> %s: %s: %s", tc.method, tc.path, body, e.Message, e.Reason)
				for _, se := range e.SchemaValidationErrors {
					t.Errorf("  %s at %s", se.Reason, se.KeywordLocation)
				}
			}
		}
	}
}

// noLookup finds no path, so that the validator matches by its regexes.
type noLookup struct{}

func (noLookup) Lookup(string) (*v3.PathItem, string, bool) { return nil, "", false }

// library answers with a full book, or the errors the document declares.
type library struct {
	testpb.UnimplementedLibraryServer
}

func book(name string) *testpb.Book {
	return &testpb.Book{Name: name, Id: "b1", Title: "Dune", Pages: 412, Genre: testpb.Genre_FICTION,
		Published: timestamppb.New(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)), ReadTime: durationpb.New(90 * time.Minute),
		Subtitle: wrapperspb.String("Book One"), Labels: map[string]string{"lang": "en"}, Tags: []string{"sf", "classic"},
		Format: &testpb.Book_Isbn{Isbn: "978-0441013593"}}
}

func (library) GetBook(_ context.Context, r *testpb.GetBookRequest) (*testpb.Book, error) {
	if strings.HasSuffix(r.Name, "/404") {
		st, _ := status.New(codes.NotFound, "no such book").WithDetails(&errdetails.ErrorInfo{Reason: "BOOK_NOT_FOUND"})
		return nil, st.Err()
	}
	return book(r.Name), nil
}

func (library) ListBooks(_ context.Context, r *testpb.ListBooksRequest) (*testpb.ListBooksResponse, error) {
	return &testpb.ListBooksResponse{Books: []*testpb.Book{book("shelves/1/books/1")}, Echo: r}, nil
}

func (library) CreateBook(_ context.Context, r *testpb.CreateBookRequest) (*testpb.Book, error) {
	if r.Book.GetTitle() == "taken" {
		return nil, errors.Conflict("BOOK_EXISTS", "a book of that title is on the shelf")
	}
	return r.Book, nil
}

func (library) UpdateBook(_ context.Context, r *testpb.UpdateBookRequest) (*testpb.Book, error) {
	return r.Book, nil
}

func (library) CancelBook(context.Context, *testpb.CancelBookRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (l library) GetTitle(ctx context.Context, r *testpb.GetBookRequest) (*testpb.Book, error) {
	return l.GetBook(ctx, r)
}

func (l library) GetTags(ctx context.Context, r *testpb.GetBookRequest) (*testpb.Book, error) {
	return l.GetBook(ctx, r)
}

// TestValidatorNotices: a reply in the other error format fails the
// document, so that the passing test above means something.
func TestValidatorNotices(t *testing.T) {
	spec, err := os.ReadFile("../internal/testpb/library.openapi.json") // the envelope's
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc, config.WithPathTree(noLookup{}))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s, err := xhttp.NewServer(xhttp.Config{ErrorFormat: "problem"})
	if err != nil {
		t.Fatal(err)
	}
	testpb.RegisterLibraryHTTP(s, library{})
	ts := httptest.NewServer(s)
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/v1/shelves%2F1%2Fbooks%2F404")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	req, _ := http.NewRequest("GET", ts.URL+"/v1/shelves%2F1%2Fbooks%2F404", nil)
	if ok, _ := v.ValidateHttpResponse(req, resp); ok {
		t.Errorf("a problem+json 404 (%s) passed the envelope document", body)
	}
}
