package redis_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/goxkit/gox/goxtest"
)

// TestMain runs the process as a replica hammering a shared limit when
// TestReplicasShareOneLimit starts it so, and otherwise fails the package
// when a test leaves a goroutine running.
func TestMain(m *testing.M) {
	goxtest.RunAsReplica(hammer)
	goleak.VerifyTestMain(m)
}
