package sentry_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run when a goroutine outlives the tests: a closed
// Reporter leaves none behind (sentry-go's batch processors, idle
// connections).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
