package goxtest

import (
	"errors"
	"fmt"
	"testing"
)

// closer counts its Close calls.
type closer struct{ closed int }

func (c *closer) Close() error { c.closed++; return errors.New("close errors are dropped") }

// fatalT is a cleanupT whose Fatal stops the helper as testing.T would.
type fatalT struct {
	cleanupT
	fatal string
}

func (f *fatalT) Fatal(args ...any) { f.fatal = fmt.Sprint(args...); panic("fatal") }

func TestOpenedClosesAtTheEnd(t *testing.T) {
	ft := &fatalT{cleanupT: cleanupT{TB: t}}
	c := &closer{}
	if got := Opened(ft, c, nil); got != c {
		t.Fatalf("Opened returned %p, want the value it was given %p", got, c)
	}
	if c.closed != 0 || len(ft.cleanups) != 1 {
		t.Fatalf("before the test ends: %d closes, %d cleanups; want 0 and 1", c.closed, len(ft.cleanups))
	}
	ft.cleanups[0]() // the test ends
	if c.closed != 1 || ft.fatal != "" || len(ft.errs) != 0 {
		t.Fatalf("after the test: %d closes, fatal %q, errors %v; want one close and no failure", c.closed, ft.fatal, ft.errs)
	}
}

func TestOpenedFailsOnTheOpenError(t *testing.T) {
	ft := &fatalT{cleanupT: cleanupT{TB: t}}
	func() {
		defer func() { _ = recover() }()
		Opened[*closer](ft, nil, errors.New("dial tcp 127.0.0.1:1: connection refused"))
	}()
	if ft.fatal != "dial tcp 127.0.0.1:1: connection refused" {
		t.Fatalf("the test was told %q, want the open error", ft.fatal)
	}
	if len(ft.cleanups) != 0 {
		t.Fatalf("%d cleanups registered for a value that was never opened", len(ft.cleanups))
	}
}
