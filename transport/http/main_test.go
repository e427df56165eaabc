package http_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine running: a
// server's listeners, a discovery client's watch, a client's idle
// connections all end with the test that made them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
