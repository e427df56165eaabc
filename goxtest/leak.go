package goxtest

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// VerifyNoLeaks runs a package's tests (call it from TestMain) and fails the
// package when they leave a goroutine running, as goleak.VerifyTestMain does,
// after closing the idle keep-alive connections of http.DefaultClient: tests
// that read a real server's API (Prometheus, Jaeger) with http.Get leave
// those, and they are not the package's goroutines.
func VerifyNoLeaks(m *testing.M, opts ...goleak.Option) {
	code := m.Run()
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(opts...); err != nil {
			fmt.Fprintln(os.Stderr, "goleak: errors on successful test run:", err)
			code = 1
		}
	}
	os.Exit(code)
}
