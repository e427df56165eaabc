package email

import (
	"testing"

	"github.com/goxkit/gox/goxtest"
)

// TestMain fails the package's tests when a goroutine outlives them: a
// Reporter's window goroutine not stopped by Close, an SMTP connection left
// open.
func TestMain(m *testing.M) { goxtest.VerifyNoLeaks(m) }
