package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/openapi"
	xhttp "github.com/goxkit/gox/transport/http"
)

type Address struct {
	City string `json:"city" binding:"required,min=2"`
	Zip  string `json:"zip,omitempty" binding:"omitempty,len=5,numeric"`
}

type CreateUser struct {
	Org    string   `uri:"org" binding:"required,uuid"`
	DryRun bool     `form:"dry_run"`
	Notify string   `form:"notify" binding:"required,oneof=email sms none"`
	Name   string   `json:"name" binding:"required,min=3,max=40"`
	Email  string   `json:"email" binding:"required,email"`
	Age    int      `json:"age" binding:"gte=18,lte=130"`
	Role   string   `json:"role,omitempty" binding:"omitempty,oneof=admin user"`
	Site   string   `json:"site,omitempty" binding:"omitempty,url"`
	Tags   []string `json:"tags,omitempty" binding:"max=5,dive,min=1"`
	Home   *Address `json:"home,omitempty"`
}

type GetUser struct {
	Org string `uri:"org"`
	ID  int64  `uri:"id" binding:"gt=0"`
}

type User struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

const org = "0b6d2b8c-3a5e-4f7e-9a57-8a0f2f1c7d11"

// service is a server with typed routes (one documented with Doc) and plain ones.
func service(t *testing.T, c xhttp.Config) *xhttp.Server {
	t.Helper()
	c.Addr = "127.0.0.1:0"
	s, err := xhttp.NewServer(c)
	if err != nil {
		t.Fatal(err)
	}
	v1 := s.Group("/v1")
	v1.POST("/orgs/:org/users", xhttp.Doc("Create a user", "The email must not be taken.",
		xhttp.JSON(func(_ context.Context, r *CreateUser) (*User, error) {
			return &User{ID: 7, Name: r.Name, Email: r.Email}, nil
		})))
	v1.GET("/orgs/:org/users/:id", xhttp.JSON(func(_ context.Context, r *GetUser) (*User, error) {
		if r.ID != 7 {
			return nil, errors.NotFound("USER_NOT_FOUND", "no such user")
		}
		return &User{ID: 7, Name: "Ada", Email: "ada@example.com"}, nil
	}))
	v1.GET("/files/*path", func(c *xhttp.Context) error { c.String(http.StatusOK, c.Param("path")); return nil })
	return s
}

// start runs s (its listener bound by Endpoint) and returns its base URL.
func start(t *testing.T, s *xhttp.Server) string {
	t.Helper()
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, s)
	return u.String()
}

func document(t *testing.T, s *xhttp.Server, o openapi.Options) (map[string]any, validator.Validator) {
	t.Helper()
	b, err := openapi.Document(s, o)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("the document does not build: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("document: %s: %s", e.Message, e.Reason)
		}
		t.FailNow()
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m, v
}

// at walks a decoded document: keys of objects, indexes of arrays as "0".
func at(t *testing.T, v any, path ...string) any {
	t.Helper()
	for i, k := range path {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				t.Fatalf("no %q at %s", k, strings.Join(path[:i], "."))
			}
		case []any:
			n := int(k[0] - '0')
			if n >= len(x) {
				t.Fatalf("no [%s] at %s", k, strings.Join(path[:i], "."))
			}
			v = x[n]
		default:
			t.Fatalf("%s is not an object", strings.Join(path[:i], "."))
		}
	}
	return v
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// The document of a server with typed and plain routes is a valid OpenAPI
// 3.1 document, and the service's live requests and responses, answers and
// errors alike, fit it.
func TestDocumentFitsLiveTraffic(t *testing.T) {
	for _, format := range []string{"envelope", "problem"} {
		t.Run(format, func(t *testing.T) {
			c := xhttp.DefaultConfig()
			c.ErrorFormat = format
			s := service(t, c)
			_, v := document(t, s, openapi.Options{Title: "users", Version: "1.2.3"})
			base := start(t, s)
			for _, call := range []struct {
				method, path, body string
				status             int
			}{
				{"POST", "/v1/orgs/" + org + "/users?notify=sms", `{"name":"Ada","email":"ada@example.com","age":36,"tags":["x"]}`, 200},
				{"GET", "/v1/orgs/" + org + "/users/7", "", 200},
				{"GET", "/v1/orgs/" + org + "/users/8", "", 404},
				{"GET", "/v1/files/b.txt", "", 200}, // a catch-all of one segment: OpenAPI has no multi-segment parameter
				{"GET", "/ping", "", 200},
			} {
				req := func() *http.Request {
					r, _ := http.NewRequest(call.method, base+call.path, strings.NewReader(call.body))
					if call.body != "" {
						r.Header.Set("Content-Type", "application/json")
					}
					return r
				}
				if ok, errs := v.ValidateHttpRequest(req()); !ok {
					t.Errorf("%s %s: request does not fit the document: %s", call.method, call.path, verrs(errs))
				}
				resp, err := http.DefaultClient.Do(req())
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != call.status {
					t.Fatalf("%s %s: %d %s, want %d", call.method, call.path, resp.StatusCode, body, call.status)
				}
				resp.Body = io.NopCloser(bytes.NewReader(body))
				if ok, errs := v.ValidateHttpResponse(req(), resp); !ok {
					t.Errorf("%s %s: response %d %s does not fit the document: %s", call.method, call.path, resp.StatusCode, body, verrs(errs))
				}
			}
		})
	}
}

// A request the document refuses is one the handler refuses too, with a
// 400 INVALID_FIELD the document describes.
func TestBadRequestFitsDocument(t *testing.T) {
	s := service(t, xhttp.DefaultConfig())
	_, v := document(t, s, openapi.Options{})
	base := start(t, s)
	for _, body := range []string{
		`{"name":"Al","email":"ada@example.com","age":36}`,                // name too short
		`{"name":"Ada","email":"ada@example.com","age":12}`,               // age under 18
		`{"name":"Ada","email":"ada@example.com","age":36,"role":"root"}`, // not one of
		`{"name":"Ada","email":"ada@example.com","age":36,"tags":[""]}`,   // an empty tag
	} {
		req := func() *http.Request {
			r, _ := http.NewRequest("POST", base+"/v1/orgs/"+org+"/users?notify=sms", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			return r
		}
		if ok, _ := v.ValidateHttpRequest(req()); ok {
			t.Errorf("%s: the document lets it through", body)
		}
		resp, err := http.DefaultClient.Do(req())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), `"INVALID_FIELD"`) {
			t.Errorf("%s: %d %s, want 400 INVALID_FIELD", body, resp.StatusCode, b)
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if ok, errs := v.ValidateHttpResponse(req(), resp); !ok {
			t.Errorf("%s: the 400 does not fit the document: %s", body, verrs(errs))
		}
	}
	// a required query parameter left out
	r, _ := http.NewRequest("POST", base+"/v1/orgs/"+org+"/users", strings.NewReader(`{"name":"Ada","email":"ada@example.com","age":36}`))
	r.Header.Set("Content-Type", "application/json")
	if ok, _ := v.ValidateHttpRequest(r); ok {
		t.Error("the document lets a call without ?notify through")
	}
}

func verrs(errs any) string { return jsonOf(errs) }

// binding tags are constraints of the schemas; paths, parameters, the
// summary and the error responses are there.
func TestDocumentContents(t *testing.T) {
	s := service(t, xhttp.DefaultConfig())
	m, _ := document(t, s, openapi.Options{Title: "users", Version: "1.2.3"})
	if got := jsonOf(m["info"]); got != `{"title":"users","version":"1.2.3"}` {
		t.Errorf("info %s", got)
	}
	if m["openapi"] != "3.1.0" {
		t.Errorf("openapi %v", m["openapi"])
	}
	post := at(t, m, "paths", "/v1/orgs/{org}/users", "post")
	if at(t, post, "summary") != "Create a user" || at(t, post, "description") != "The email must not be taken." {
		t.Errorf("summary/description: %s", jsonOf(post))
	}
	params := map[string]string{}
	for _, p := range at(t, post, "parameters").([]any) {
		p := p.(map[string]any)
		params[p["in"].(string)+" "+p["name"].(string)] = jsonOf(p)
	}
	for k, want := range map[string]string{
		"path org":      `{"in":"path","name":"org","required":true,"schema":{"format":"uuid","type":"string"}}`,
		"query notify":  `{"in":"query","name":"notify","required":true,"schema":{"enum":["email","sms","none"],"type":"string"}}`,
		"query dry_run": `{"in":"query","name":"dry_run","schema":{"type":"boolean"}}`,
	} {
		if params[k] != want {
			t.Errorf("parameter %s:\n got %s\nwant %s", k, params[k], want)
		}
	}
	if at(t, post, "requestBody", "required") != true {
		t.Error("the body is not required")
	}
	ref := at(t, post, "requestBody", "content", "application/json", "schema", "$ref").(string)
	body := at(t, m, "components", "schemas", strings.TrimPrefix(ref, "#/components/schemas/"))
	for path, want := range map[string]string{
		"required":         `["name","email"]`,
		"properties.name":  `{"maxLength":40,"minLength":3,"type":"string"}`,
		"properties.email": `{"format":"email","type":"string"}`,
		"properties.age":   `{"maximum":130,"minimum":18,"type":"integer"}`,
		"properties.role":  `{"enum":["admin","user"],"type":"string"}`,
		"properties.site":  `{"format":"uri","type":"string"}`,
		"properties.tags":  `{"items":{"minLength":1,"type":"string"},"maxItems":5,"type":"array"}`,
	} {
		if got := jsonOf(at(t, body, strings.Split(path, ".")...)); got != want {
			t.Errorf("body %s:\n got %s\nwant %s", path, got, want)
		}
	}
	home := at(t, body, "properties", "home", "$ref").(string)
	addr := at(t, m, "components", "schemas", strings.TrimPrefix(home, "#/components/schemas/"))
	if got := jsonOf(addr); got != `{"properties":{"city":{"minLength":2,"type":"string"},"zip":{"maxLength":5,"minLength":5,"pattern":"^[-+]?[0-9]+(?:\\.[0-9]+)?$","type":"string"}},"required":["city"],"type":"object"}` {
		t.Errorf("nested struct: %s", got)
	}
	get := at(t, m, "paths", "/v1/orgs/{org}/users/{id}", "get")
	if _, has := get.(map[string]any)["requestBody"]; has {
		t.Error("a GET has a body")
	}
	if got := jsonOf(at(t, get, "parameters")); !strings.Contains(got, `{"in":"path","name":"id","required":true,"schema":{"exclusiveMinimum":0,"format":"int64","type":"integer"}}`) {
		t.Errorf("GET parameters: %s", got)
	}
	// a plain handler: its method and path parameter only
	files := at(t, m, "paths", "/v1/files/{path}", "get")
	if got := jsonOf(at(t, files, "parameters")); got != `[{"in":"path","name":"path","required":true,"schema":{"type":"string"}}]` {
		t.Errorf("plain route parameters: %s", got)
	}
	for _, code := range []string{"400", "404", "429", "500", "503", "504"} {
		for _, op := range []any{post, get, files} {
			if _, ok := at(t, op, "responses").(map[string]any)[code]; !ok {
				t.Errorf("no %s response in %s", code, jsonOf(op))
			}
		}
	}
	bad := jsonOf(at(t, m, "components", "responses", "gox.BadRequest"))
	for _, reason := range []string{"INVALID_FIELD", "MALFORMED_JSON"} {
		if !strings.Contains(bad, reason) {
			t.Errorf("the 400 response does not name %s: %s", reason, bad)
		}
	}
	if got := jsonOf(at(t, m, "components", "responses", "gox.Unavailable", "content")); !strings.Contains(got, `"application/json"`) || !strings.Contains(got, "gox.Error") {
		t.Errorf("503 content: %s", got)
	}
}

// In problem format, the errors are problem+json.
func TestDocumentProblemFormat(t *testing.T) {
	c := xhttp.DefaultConfig()
	c.ErrorFormat = "problem"
	m, _ := document(t, service(t, c), openapi.Options{})
	got := jsonOf(at(t, m, "components", "responses", "gox.NotFound", "content"))
	if !strings.Contains(got, `"application/problem+json"`) || !strings.Contains(got, "gox.Problem") {
		t.Errorf("404 content: %s", got)
	}
}

const generated = `{
  "openapi": "3.1.0",
  "info": {"title": "generated", "version": "0"},
  "paths": {
    "/v1/greeter/{name}": {"get": {"operationId": "Greeter_Hello",
      "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HelloReply"}}}}}}},
    "/v1/files/{path}": {"get": {"operationId": "Files_Get",
      "parameters": [{"name": "path", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "OK"}}}}
  },
  "components": {"schemas": {"HelloReply": {"type": "object", "properties": {"message": {"type": "string"}}}}}
}`

// A generated document is merged in: its paths and components added, and
// a plain handler's operation taken from it; the same typed operation in
// both, or a component of the same name that differs, is an error naming it.
func TestMerge(t *testing.T) {
	s := service(t, xhttp.DefaultConfig())
	m, _ := document(t, s, openapi.Options{Merge: [][]byte{[]byte(generated)}})
	if at(t, m, "paths", "/v1/greeter/{name}", "get", "operationId") != "Greeter_Hello" {
		t.Error("the generated path is missing")
	}
	if at(t, m, "paths", "/v1/files/{path}", "get", "operationId") != "Files_Get" {
		t.Error("the plain route's operation did not give way to the generated one")
	}
	at(t, m, "components", "schemas", "HelloReply")
	at(t, m, "paths", "/v1/orgs/{org}/users", "post") // ours are kept

	conflict := strings.Replace(generated, "/v1/greeter/{name}", "/v1/orgs/{org}/users/{id}", 1)
	conflict = strings.Replace(conflict, `"name": "name"`, `"name": "id"`, 1)
	_, err := openapi.Document(s, openapi.Options{Merge: [][]byte{[]byte(conflict)}})
	if err == nil || !strings.Contains(err.Error(), "GET /v1/orgs/{org}/users/{id}") {
		t.Errorf("conflicting operation: %v", err)
	}
	clash := strings.Replace(generated, `"HelloReply": {"type": "object"`, `"ConformanceTestUser": {"type": "string"`, 1)
	clash = strings.Replace(clash, "schemas/HelloReply", "schemas/ConformanceTestUser", 1)
	_, err = openapi.Document(s, openapi.Options{Merge: [][]byte{[]byte(clash)}})
	if err == nil || !strings.Contains(err.Error(), "schemas/ConformanceTestUser") || !strings.Contains(err.Error(), "/v1/greeter/{name}") {
		t.Errorf("conflicting component: %v", err)
	}
	// gox's own error body, described otherwise by a generator of another
	// gox version: the running server's description is served
	older := strings.Replace(generated, `"HelloReply": {"type": "object"`, `"gox.Error": {"type": "string"`, 1)
	older = strings.Replace(older, "schemas/HelloReply", "schemas/gox.Error", 1)
	m, _ = document(t, s, openapi.Options{Merge: [][]byte{[]byte(older)}})
	if at(t, m, "components", "schemas", "gox.Error", "type") != "object" {
		t.Errorf("gox.Error from the merged document: %s", jsonOf(at(t, m, "components", "schemas", "gox.Error")))
	}
	_, err = openapi.Document(s, openapi.Options{Merge: [][]byte{[]byte(`{"openapi":"3.0.3","paths":{}}`)}})
	if err == nil || !strings.Contains(err.Error(), "3.0.3") {
		t.Errorf("a 3.0 document: %v", err)
	}
}

// /openapi.json and /docs/ as the exposure says: served to everyone,
// behind basic auth, or not at all.
func TestExposure(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "page "+r.URL.Path) })
	for _, c := range []struct {
		expose       openapi.Exposure
		anon, signed int
	}{
		{openapi.Public, 200, 200},
		{openapi.Management, 401, 200},
		{openapi.Off, 404, 404},
	} {
		t.Run(string(c.expose), func(t *testing.T) {
			s := service(t, xhttp.DefaultConfig())
			if err := openapi.Mount(s, openapi.Options{Expose: c.expose, Title: "users", Username: "admin", Password: "s3cret", Docs: page}); err != nil {
				t.Fatal(err)
			}
			base := start(t, s)
			for _, p := range []string{"/openapi.json", "/docs/", "/docs/openapi.json"} {
				for _, signed := range []bool{false, true} {
					r, _ := http.NewRequest("GET", base+p, nil)
					want := c.anon
					if signed {
						r.SetBasicAuth("admin", "s3cret")
						want = c.signed
					}
					resp, err := http.DefaultClient.Do(r)
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(resp.Body)
					_ = resp.Body.Close()
					if resp.StatusCode != want {
						t.Errorf("GET %s (signed in: %v): %d, want %d", p, signed, resp.StatusCode, want)
						continue
					}
					if want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
						t.Errorf("GET %s: a 401 without a challenge", p)
					}
					if want == 200 && strings.HasSuffix(p, ".json") && !strings.Contains(string(b), `"title": "users"`) {
						t.Errorf("GET %s: %s", p, b)
					}
					if want == 200 && p == "/docs/" && string(b) != "page /" {
						t.Errorf("GET %s: %s", p, b)
					}
				}
			}
			r, _ := http.NewRequest("GET", base+"/openapi.json", nil)
			r.SetBasicAuth("admin", "wrong")
			if resp, err := http.DefaultClient.Do(r); err == nil {
				_ = resp.Body.Close()
				if c.expose == openapi.Management && resp.StatusCode != 401 {
					t.Errorf("a wrong password: %d", resp.StatusCode)
				}
			}
		})
	}
	s := service(t, xhttp.DefaultConfig())
	if err := openapi.Mount(s, openapi.Options{Expose: openapi.Management}); err == nil {
		t.Error("management exposure without credentials mounted")
	}
	if err := openapi.Mount(s, openapi.Options{Expose: "everyone"}); err == nil || !strings.Contains(err.Error(), `"everyone"`) {
		t.Errorf("an unknown exposure: %v", err)
	}
}
