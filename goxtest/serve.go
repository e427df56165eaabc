package goxtest

import (
	"context"
	"sync"
	"testing"

	"github.com/goxkit/gox/transport"
)

// Serve starts s in the background, as App does, and when the test ends
// stops it, waits for Start to return and fails t if it returned an error.
// Cleanups run last-registered first: a client made after Serve with its
// Close in t.Cleanup is closed before s stops. The func it returns does
// the same stop before the test ends (a server that goes away, to its
// clients); only the first stop, early or at the end, does anything.
func Serve(t testing.TB, s transport.Server) (stop func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Start(context.Background()) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = s.Stop(context.Background())
			if err := <-done; err != nil {
				t.Errorf("Start returned %v after Stop", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
