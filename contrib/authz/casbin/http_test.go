package casbin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/contrib/authz/casbin"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware"
	xhttp "github.com/goxkit/gox/transport/http"
)

// serveHTTP starts a gox HTTP server running m: a users API with read and
// delete, a reports route no policy names, and GET /open.
func serveHTTP(t *testing.T, m ...middleware.Middleware) string {
	t.Helper()
	hc := xhttp.DefaultConfig()
	hc.Addr = "127.0.0.1:0"
	s, err := xhttp.NewServer(hc, xhttp.WithMiddleware(m...))
	if err != nil {
		t.Fatal(err)
	}
	ok := func(c *xhttp.Context) error {
		c.JSON(http.StatusOK, map[string]string{"route": c.FullPath(), "id": c.Param("id")})
		return nil
	}
	s.GET("/v1/users/:id", ok)
	s.DELETE("/v1/users/:id", ok)
	s.GET("/v1/reports", ok)
	s.GET("/open", ok)
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, s)
	return u.String()
}

type answer struct {
	status int
	reason string
}

func call(t *testing.T, method, url, tok string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body struct{ Reason string }
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatalf("%s %s: %d with body %q", method, url, resp.StatusCode, b)
		}
	}
	return answer{resp.StatusCode, body.Reason}
}

// Each role gets what the policy gives it and nothing more, through the
// real JWT middleware; a call without a token is authentication's 401.
func TestHTTPRoles(t *testing.T) {
	z, _ := newAuthorizer(t, func(c *casbin.Config) { c.Public.Exact = []string{"GET /open"} })
	url := serveHTTP(t, authn(t).Middleware(), z.Middleware())
	alice, bob, carol := token(t, "alice", nil), token(t, "bob", nil), token(t, "carol", nil)
	denied := answer{http.StatusForbidden, casbin.ReasonPermissionDenied}
	for _, c := range []struct {
		name, method, path, tok string
		want                    answer
	}{
		{"admin reads", "GET", "/v1/users/42", alice, answer{status: 200}},
		{"admin deletes", "DELETE", "/v1/users/42", alice, answer{status: 200}},
		{"admin outside its routes", "GET", "/v1/reports", alice, denied},
		{"reader reads", "GET", "/v1/users/7", bob, answer{status: 200}},
		{"reader deletes", "DELETE", "/v1/users/7", bob, denied},
		{"no role", "GET", "/v1/users/7", carol, denied},
		{"no token", "GET", "/v1/users/7", "", answer{http.StatusUnauthorized, "UNAUTHENTICATED"}},
		{"public route", "GET", "/open", "", answer{status: 200}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := call(t, c.method, url+c.path, c.tok); got != c.want {
				t.Fatalf("%s %s: %+v, want %+v", c.method, c.path, got, c.want)
			}
		})
	}
}

// With subject "roles", a token's list of roles is checked one by one and
// any that allows is enough.
func TestHTTPRolesClaim(t *testing.T) {
	z, _ := newAuthorizer(t, func(c *casbin.Config) { c.Subject = "roles" })
	url := serveHTTP(t, authn(t).Middleware(), z.Middleware())
	dave := token(t, "dave", map[string]any{"roles": []string{"guest", "reader"}})
	if got := call(t, "GET", url+"/v1/users/1", dave); got.status != 200 {
		t.Fatalf("reader among roles: %+v", got)
	}
	if got := call(t, "DELETE", url+"/v1/users/1", dave); got.status != http.StatusForbidden {
		t.Fatalf("no role may delete: %+v", got)
	}
	if got := call(t, "GET", url+"/v1/users/1", token(t, "erin", map[string]any{"roles": "admin"})); got.status != 200 {
		t.Fatalf("a single role as a string: %+v", got)
	}
	if got := call(t, "GET", url+"/v1/users/1", token(t, "alice", nil)); got.status != http.StatusForbidden {
		t.Fatalf("no roles claim (alice's g line is by sub, not checked here): %+v", got)
	}
}

// A call without claims is refused, or checked as the anonymous subject
// when one is configured.
func TestHTTPAnonymous(t *testing.T) {
	policy := testdata(t, "policy.csv") + "p, anonymous, /v1/users/:id, GET\n"
	z, path := newAuthorizer(t, nil)
	replace(t, path, policy)
	if err := z.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := call(t, "GET", serveHTTP(t, z.Middleware())+"/v1/users/1", ""); got.status != http.StatusForbidden {
		t.Fatalf("no claims, no anonymous subject: %+v", got)
	}
	anon, anonPolicy := newAuthorizer(t, func(c *casbin.Config) { c.Anonymous = "anonymous" })
	replace(t, anonPolicy, policy)
	if err := anon.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	url := serveHTTP(t, anon.Middleware())
	if got := call(t, "GET", url+"/v1/users/1", ""); got.status != 200 {
		t.Fatalf("anonymous may read: %+v", got)
	}
	if got := call(t, "DELETE", url+"/v1/users/1", ""); got.status != http.StatusForbidden {
		t.Fatalf("anonymous may not delete: %+v", got)
	}
}

// With object "path" a policy can name one resource.
func TestHTTPObjectPath(t *testing.T) {
	z, path := newAuthorizer(t, func(c *casbin.Config) { c.Object = casbin.ObjectPath })
	replace(t, path, "p, bob, /v1/users/42, GET\n")
	if err := z.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	url := serveHTTP(t, authn(t).Middleware(), z.Middleware())
	bob := token(t, "bob", nil)
	if got := call(t, "GET", url+"/v1/users/42", bob); got.status != 200 {
		t.Fatalf("bob's own user: %+v", got)
	}
	if got := call(t, "GET", url+"/v1/users/43", bob); got.status != http.StatusForbidden {
		t.Fatalf("another user: %+v", got)
	}
}

// A changed policy file is in force without a restart; a change that does
// not load is logged with its file and line, and the policies in force stay.
func TestHTTPPolicyFileReload(t *testing.T) {
	var l logs
	z, path := newAuthorizer(t, nil, casbin.WithLogger(l.logger()))
	url := serveHTTP(t, authn(t).Middleware(), z.Middleware())
	carol := token(t, "carol", nil)
	if got := call(t, "GET", url+"/v1/users/1", carol); got.status != http.StatusForbidden {
		t.Fatalf("before: %+v", got)
	}
	good := testdata(t, "policy.csv") + "g, carol, reader\n"
	replace(t, path, good)
	goxtest.Eventually(t, 5*time.Second, func() bool { return call(t, "GET", url+"/v1/users/1", carol).status == 200 })
	if !l.contains("policies reloaded") {
		t.Error("the reload was not logged")
	}

	replace(t, path, good+"p, admin, /v1/reports\n")
	line := strings.Count(good, "\n") + 1
	goxtest.Eventually(t, 5*time.Second, func() bool { return l.contains("policy.csv:" + strconv.Itoa(line)) })
	if !l.contains("not reloaded") || !l.contains("has 2 fields") {
		t.Fatalf("log does not say what is wrong:\n%s", l.buf.String())
	}
	if got := call(t, "GET", url+"/v1/users/1", carol); got.status != 200 {
		t.Fatalf("the policies in force were dropped: %+v", got)
	}

	// the same file written in place (truncate, write) is picked up too
	if err := os.WriteFile(path, []byte(testdata(t, "policy.csv")), 0o600); err != nil {
		t.Fatal(err)
	}
	goxtest.Eventually(t, 5*time.Second, func() bool { return call(t, "GET", url+"/v1/users/1", carol).status == http.StatusForbidden })
}
