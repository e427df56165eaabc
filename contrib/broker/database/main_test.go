package dbbroker_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs the test binary as one replica of TestConcurrentStart when
// GOX_START_DRIVER is set; otherwise it runs the tests and fails them if a
// consumer, a waiting receiver or a connection outlives its test.
func TestMain(m *testing.M) {
	if d := os.Getenv("GOX_START_DRIVER"); d != "" {
		if err := replica(d, os.Getenv("GOX_START_DSN")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
