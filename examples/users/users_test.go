package users

import (
	"context"
	"encoding/json"
	stderrors "errors"
	"strings"
	"testing"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/openapi"
	xhttp "github.com/goxkit/gox/transport/http"
)

// serve starts the service over HTTP with the generated routes and returns
// the generated client of it.
func serve(t *testing.T) *UsersClient {
	_, c := serveWith(t)
	return c
}

func serveWith(t *testing.T) (*xhttp.Server, *UsersClient) {
	t.Helper()
	c := xhttp.DefaultConfig()
	c.Addr = "127.0.0.1:0"
	s, err := xhttp.NewServer(c)
	if err != nil {
		t.Fatal(err)
	}
	RegisterUsersHTTP(s, NewUsersService())
	goxtest.Serve(t, s)
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := xhttp.NewClient(u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hc.Close() })
	return s, NewUsersClient(hc)
}

// The generated routes describe themselves: the service's OpenAPI document
// has each method's route, its doc comment as the summary, its request's
// binding tags as constraints.
func TestOpenAPI(t *testing.T) {
	s, _ := serveWith(t)
	doc, err := openapi.Document(s, openapi.Options{Title: "users"})
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Paths map[string]map[string]struct {
			Summary string `json:"summary"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	if got := d.Paths["/v1/users/{id}"]["get"].Summary; got != "GetUser returns the user with the id, or 404 USER_NOT_FOUND." {
		t.Fatalf("GET /v1/users/{id} summary %q", got)
	}
	if got := d.Paths["/v1/users"]["post"].Summary; got != "CreateUser adds a user." {
		t.Fatalf("POST /v1/users summary %q", got)
	}
	if !strings.Contains(string(doc), `"maxLength":64`) && !strings.Contains(string(doc), `"maxLength": 64`) {
		t.Fatalf("the name's binding:\"max=64\" is not in the document:\n%.2000s", doc)
	}
}

// The generated client and routes agree end to end: path variables, query
// parameters (a pointer, a string, a repeated one), JSON bodies, and errors
// that come back as the service's own.
func TestClientAndRoutes(t *testing.T) {
	var users Users = serve(t) // the client implements the interface
	ctx := context.Background()
	ann, err := users.CreateUser(ctx, &CreateUserReq{Name: "ann", Tags: []string{"admin", "ops"}})
	if err != nil || ann.ID != 1 || ann.Name != "ann" {
		t.Fatalf("CreateUser = %+v, %v", ann, err)
	}
	for _, n := range []string{"bob", "annie"} {
		if _, err := users.CreateUser(ctx, &CreateUserReq{Name: n, Tags: []string{"ops"}}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := users.GetUser(ctx, &GetUserReq{ID: 2})
	if err != nil || got.Name != "bob" {
		t.Fatalf("GetUser(2) = %+v, %v", got, err)
	}
	one := 1
	for _, c := range []struct {
		req  ListUsersReq
		want []string
	}{
		{ListUsersReq{}, []string{"ann", "bob", "annie"}},
		{ListUsersReq{Prefix: "ann"}, []string{"ann", "annie"}},
		{ListUsersReq{Prefix: "ann", Limit: &one}, []string{"ann"}},
		{ListUsersReq{Tags: []string{"ops", "admin"}}, []string{"ann"}},
	} {
		list, err := users.ListUsers(ctx, &c.req)
		if err != nil {
			t.Fatalf("ListUsers(%+v): %v", c.req, err)
		}
		var names []string
		for _, u := range list.Users {
			names = append(names, u.Name)
		}
		if len(names) != len(c.want) || (len(names) > 0 && names[0] != c.want[0]) {
			t.Errorf("ListUsers(%+v) = %v; want %v", c.req, names, c.want)
		}
	}
	if u, err := users.RenameUser(ctx, &RenameUserReq{ID: 2, Name: "robert"}); err != nil || u.Name != "robert" || u.ID != 2 {
		t.Fatalf("RenameUser = %+v, %v", u, err)
	}
	if d, err := users.DeleteUser(ctx, &DeleteUserReq{ID: 2}); err != nil || d.ID != 2 {
		t.Fatalf("DeleteUser = %+v, %v", d, err)
	}
	_, err = users.GetUser(ctx, &GetUserReq{ID: 2})
	if !stderrors.Is(err, ErrUserNotFound) || errors.Code(err) != 404 {
		t.Fatalf("GetUser after delete: %v; want 404 USER_NOT_FOUND", err)
	}
	// the request's binding tags are enforced by the routes
	if _, err := users.CreateUser(ctx, &CreateUserReq{}); errors.Code(err) != 400 || errors.Reason(err) != "INVALID_FIELD" {
		t.Fatalf("CreateUser without a name: %v; want 400 INVALID_FIELD", err)
	}
	if _, err := users.GetUser(ctx, &GetUserReq{ID: 0}); errors.Code(err) != 400 {
		t.Fatalf("GetUser(0): %v; want 400", err)
	}
}

// greet is code written against the interface, as a service's other
// packages would be.
func greet(ctx context.Context, users Users, id int64) (string, error) {
	u, err := users.GetUser(ctx, &GetUserReq{ID: id})
	if err != nil {
		return "", err
	}
	return "hello, " + u.Name, nil
}

// The generated mock stands in for the service in a unit test, counts the
// calls, and answers 501 for what the test did not set.
func TestMock(t *testing.T) {
	m := &MockUsers{GetUserFunc: func(_ context.Context, req *GetUserReq) (*User, error) {
		return &User{ID: req.ID, Name: "ann"}, nil
	}}
	if s, err := greet(context.Background(), m, 7); err != nil || s != "hello, ann" {
		t.Fatalf("greet = %q, %v", s, err)
	}
	if n := m.Calls("GetUser"); n != 1 {
		t.Fatalf("Calls(GetUser) = %d; want 1", n)
	}
	if _, err := m.DeleteUser(context.Background(), &DeleteUserReq{ID: 1}); errors.Code(err) != 501 {
		t.Fatalf("unset DeleteUserFunc: %v; want 501", err)
	}
}
