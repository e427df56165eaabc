package casbin_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/goxkit/gox/contrib/authz/casbin"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/auth"
)

func TestMain(m *testing.M) { goxtest.VerifyNoLeaks(m) }

var secret = []byte("a test secret of at least 32 bytes, for HS256")

// authn is the real JWT middleware, accepting HS256 tokens made with secret.
func authn(t testing.TB) *auth.Authenticator {
	t.Helper()
	c := auth.DefaultConfig()
	c.Algorithms = []string{auth.HS256}
	c.HMACSecret = string(secret)
	c.Public.Exact = []string{"GET /open"}
	a, err := auth.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// token issues a token for sub with extra claims ("roles").
func token(t testing.TB, sub string, claims map[string]any) string {
	t.Helper()
	i := &auth.Issuer{Algorithm: auth.HS256, Key: secret}
	tok, err := i.Issue(sub, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// file writes content to name in dir and returns its path.
func file(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// replace writes content to path the way a deploy does: a new file renamed
// over the old one.
func replace(t testing.TB, path, content string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func testdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newAuthorizer starts an Authorizer over a copy of testdata's model and
// policy in a directory of its own; it returns the policy file's path.
func newAuthorizer(t testing.TB, edit func(*casbin.Config), opts ...casbin.Option) (*casbin.Authorizer, string) {
	t.Helper()
	dir := t.TempDir()
	c := casbin.DefaultConfig()
	c.Model = file(t, dir, "rbac_model.conf", testdata(t, "rbac_model.conf"))
	c.Policy = file(t, dir, "policy.csv", testdata(t, "policy.csv"))
	if edit != nil {
		edit(&c)
	}
	z, err := casbin.New(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = z.Close() })
	return z, c.Policy
}

// logs collects what a logger writes.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.buf.String(), s)
}

func (l *logs) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }
