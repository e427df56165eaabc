package report_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a dispatcher's goroutine or one
// started by Go outlives its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
