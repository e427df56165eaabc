package health_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine running: checks run on the caller's goroutine and leave nothing behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
