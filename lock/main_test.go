package lock_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine running: a released (or abandoned) lock leaves no renewal running.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
