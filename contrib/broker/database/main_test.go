package dbbroker_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/goxkit/gox/goxtest"
)

// TestMain runs the test binary as one replica of TestConcurrentStart when
// started by it; otherwise it runs the tests and fails them if a consumer, a
// waiting receiver or a connection outlives its test.
func TestMain(m *testing.M) {
	goxtest.RunAsReplica(func() error { return replica(os.Getenv("GOX_START_DRIVER"), os.Getenv("GOX_START_DSN")) })
	goleak.VerifyTestMain(m)
}
