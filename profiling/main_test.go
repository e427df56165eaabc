package profiling

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine running: a
// stopped Profiler leaves none behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
