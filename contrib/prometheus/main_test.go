package prometheus_test

import (
	"testing"

	"github.com/goxkit/gox/goxtest"
)

// TestMain fails the package when a test leaves a goroutine running: a
// stopped metrics server leaves nothing behind.
func TestMain(m *testing.M) { goxtest.VerifyNoLeaks(m) }
