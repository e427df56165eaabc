package log_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine running: a
// closed Logger stops its access writer and its backup mill.
//
// lumberjack (v2.2.1) starts a goroutine at a file's first rotation and never
// stops it, not even at Close; gox gives it nothing to do (compression and
// pruning are gox's), but cannot end it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("gopkg.in/natefinch/lumberjack%2ev2.(*Logger).millRun"))
}
