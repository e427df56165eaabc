package eventgrpc_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every server, consumer, channel and connection the tests start is
// stopped by the end: a goroutine left behind is a leak.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
