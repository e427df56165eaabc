package goxtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// stubServer's Start returns err once Stop has been called.
type stubServer struct {
	stop chan struct{}
	err  error
}

func (s *stubServer) Start(context.Context) error { <-s.stop; return s.err }
func (s *stubServer) Stop(context.Context) error  { close(s.stop); return nil }

// cleanupT keeps its cleanups and errors for the test to run and read.
type cleanupT struct {
	testing.TB
	cleanups []func()
	errs     []string
}

func (c *cleanupT) Cleanup(f func()) { c.cleanups = append(c.cleanups, f) }
func (c *cleanupT) Errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}
func (c *cleanupT) Helper() {}

func TestServeStopsAndReportsStart(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{{nil, ""}, {errors.New("listen: address in use"), "Start returned listen: address in use after Stop"}} {
		ct := &cleanupT{TB: t}
		s := &stubServer{stop: make(chan struct{}), err: c.err}
		Serve(ct, s)
		select {
		case <-s.stop:
			t.Fatal("stopped before the test ended")
		default:
		}
		if len(ct.cleanups) != 1 {
			t.Fatalf("%d cleanups registered, want 1", len(ct.cleanups))
		}
		ct.cleanups[0]() // the test ends
		if got := strings.Join(ct.errs, "; "); got != c.want {
			t.Errorf("Start returning %v: the test was told %q, want %q", c.err, got, c.want)
		}
	}
}

// The func Serve returns stops s before the test ends, once: the stop at
// the end does nothing more.
func TestServeStopsEarlyOnce(t *testing.T) {
	ct := &cleanupT{TB: t}
	s := &stubServer{stop: make(chan struct{})}
	stop := Serve(ct, s)
	stop()
	select {
	case <-s.stop:
	default:
		t.Fatal("stop did not stop the server")
	}
	stop()
	ct.cleanups[0]() // the test ends: a second Stop would close s.stop again and panic
	if len(ct.errs) != 0 {
		t.Fatalf("the test was told %v, want nothing", ct.errs)
	}
}
