package goxtest

import (
	"os"
	"os/exec"
	"testing"
)

// RequireEnv returns the value of the environment variable that points an
// integration test at a real server (REDIS_ADDR, JAEGER_QUERY_URL ...). When it
// is unset the test fails if CI is set, so a CI run can never pass by skipping,
// and is skipped otherwise with hint, which says how to start the server.
func RequireEnv(t testing.TB, name, hint string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		missing(t, "environment variable "+name+" is not set", hint)
	}
	return v
}

// RequireBinary returns the path of a server binary the test starts itself
// (prometheus, say), failing in CI and skipping elsewhere when it is missing.
func RequireBinary(t testing.TB, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name+" is not on PATH", hint)
	}
	return p
}

func missing(t testing.TB, what, hint string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s, and CI is set: integration tests must not skip in CI (%s)", what, hint)
	}
	t.Skipf("%s; %s", what, hint)
}
