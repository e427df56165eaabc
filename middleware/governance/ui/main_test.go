package ui_test

import (
	"testing"

	"github.com/goxkit/gox/goxtest"
)

// TestMain fails the package's tests when a goroutine outlives them.
func TestMain(m *testing.M) { goxtest.VerifyNoLeaks(m) }
