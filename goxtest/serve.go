package goxtest

import (
	"context"
	"testing"

	"github.com/goxkit/gox/transport"
)

// Serve starts s in the background, as App does, and when the test ends
// stops it, waits for Start to return and fails t if it returned an error.
// Cleanups run last-registered first: a client made after Serve with its
// Close in t.Cleanup is closed before s stops.
func Serve(t testing.TB, s transport.Server) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Start(context.Background()) }()
	t.Cleanup(func() {
		_ = s.Stop(context.Background())
		if err := <-done; err != nil {
			t.Errorf("Start returned %v after Stop", err)
		}
	})
}
