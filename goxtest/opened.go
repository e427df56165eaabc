package goxtest

import (
	"io"
	"testing"
)

// Opened hands back v, which the caller has just opened with error err,
// for the rest of the test: it fails t at once when err is not nil, and
// otherwise closes v when the test and its subtests are done (an error
// from Close is dropped: the test has already said what it checks). It
// stands for the open-or-fail lines a test's constructor would repeat:
//
//	b, err := kafka.Open(ctx, c)
//	return goxtest.Opened(t, b, err)
func Opened[T io.Closer](t testing.TB, v T, err error) T {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}
