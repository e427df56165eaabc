package rabbitmq_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine running: a
// stopped subscriber and a closed publisher leave none of their loops behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
