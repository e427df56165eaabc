package config_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine running: a
// stopped Watcher must leave nothing behind (its fsnotify reader included).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
