package grpc_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every server, connection and watch a test starts is stopped by its end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
