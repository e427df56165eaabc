package storage_test

import (
	"testing"

	"github.com/goxkit/gox/goxtest"
)

// TestMain fails the package when a test leaves a goroutine running.
func TestMain(m *testing.M) { goxtest.VerifyNoLeaks(m) }
