package goxtest

import (
	"runtime"
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

// Goroutines waits up to within for the number of goroutines to fall to
// most (goroutines that closing something ends leave a moment later), and
// returns how many are left.
func Goroutines(most int, within time.Duration) int {
	n := runtime.NumGoroutine()
	for end := time.Now().Add(within); n > most && time.Now().Before(end); n = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	return n
}
