package dbbroker_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/goxkit/gox/contrib/database/xgorm/xgormtest"
)

// TestMain runs the test binary as one replica of TestConcurrentStart when
// started by it; otherwise it runs the tests and fails them if a consumer, a
// waiting receiver or a connection outlives its test.
func TestMain(m *testing.M) {
	xgormtest.Replica(replica)
	goleak.VerifyTestMain(m)
}
