package broker_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a consumer or a waiting receiver
// outlives its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
