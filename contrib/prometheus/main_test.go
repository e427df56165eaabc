package prometheus_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine running: a stopped metrics server leaves nothing behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
