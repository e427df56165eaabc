package gox_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine running: a stopped App leaves none of its servers' goroutines behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
