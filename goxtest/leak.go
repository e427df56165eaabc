package goxtest

import (
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// VerifyNoLeaks runs a package's tests (call it from TestMain) and fails the
// package when they leave a goroutine running, as goleak.VerifyTestMain does,
// after closing the idle keep-alive connections of http.DefaultClient: tests
// that read a real server's API (Prometheus, Jaeger) with http.Get leave
// those, and they are not the package's goroutines. It looks for up to 10 s
// (goleak alone gives up after about one): a goroutine that a stop told to
// end may be in a system call with a timeout of its own, such as Go's DNS
// resolver, which does not abandon a UDP read when its context is canceled.
func VerifyNoLeaks(m *testing.M, opts ...goleak.Option) {
	code := m.Run()
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		err := goleak.Find(opts...)
		for end := time.Now().Add(10 * time.Second); err != nil && time.Now().Before(end); err = goleak.Find(opts...) {
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "goleak: errors on successful test run:", err)
			code = 1
		}
	}
	os.Exit(code)
}
