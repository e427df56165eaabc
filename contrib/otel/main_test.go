package otel_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine running: a shut down tracer provider leaves no exporter or batch goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
