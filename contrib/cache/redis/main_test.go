package redis_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine running: a closed client and a released lock (its renewal) leave nothing behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
