package cache_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine running: the memory store runs nothing in the background.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
