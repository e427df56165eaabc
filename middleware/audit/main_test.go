package audit_test

import (
	"testing"

	"github.com/goxkit/gox/goxtest"
)

func TestMain(m *testing.M) { goxtest.VerifyNoLeaks(m) }
