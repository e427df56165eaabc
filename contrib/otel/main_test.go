package otel_test

import (
	"testing"

	"github.com/goxkit/gox/goxtest"
)

// TestMain fails the package when a test leaves a goroutine running: a shut
// down tracer provider leaves no exporter or batch goroutine behind.
func TestMain(m *testing.M) { goxtest.VerifyNoLeaks(m) }
