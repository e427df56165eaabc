package dns_test

import (
	"testing"

	"github.com/goxkit/gox/goxtest"
)

// TestMain fails the package's tests when a goroutine outlives them. A
// stopped watch's look-up may still wait for its answer until the
// resolver's own timeout; VerifyNoLeaks gives it that long.
func TestMain(m *testing.M) { goxtest.VerifyNoLeaks(m) }
