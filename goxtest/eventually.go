package goxtest

import (
	"testing"
	"time"
)

// Eventually polls ok every 20 ms until it returns true, and fails the test
// when within is over first.
func Eventually(t testing.TB, within time.Duration, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	if !ok() {
		t.Fatalf("condition not reached within %v", within)
	}
}
