// Package singleflight is golang.org/x/sync/singleflight with types and a
// context: concurrent calls for the same key run the function once and
// share its result. cache.Cache's GetOrLoad uses it; so can any code that
// fronts a slow source (a remote config, a token endpoint).
//
// It adds to x/sync what a server needs: a typed key and value instead of
// string and any; a caller that gives up (its ctx done) returns at once
// without failing the others; and a panic in the function becomes an error
// for every caller instead of a re-panic that ends the process.
package singleflight

import (
	"context"
	"fmt"

	"golang.org/x/sync/singleflight"

	"github.com/goxkit/gox/middleware/recovery"
)

// Group deduplicates calls by key. Its zero value is ready to use; it must
// not be copied after first use. It holds nothing once the calls return.
type Group[K comparable, V any] struct {
	g singleflight.Group
}

// Do calls fn once for all the concurrent calls with key and returns its
// result to each of them; shared reports whether the result went to more
// than one caller.
//
// fn runs with the values and the deadline of the ctx of the caller that
// started the flight, but not its cancellation: one caller giving up does
// not fail the others, who may still be waiting. Each caller returns with
// its ctx's error when its ctx is done first; fn runs on. A panic in fn is
// every caller's error, wrapping a *recovery.PanicError with the panic's
// stack (errors.Is(err, recovery.ErrPanic)).
func (g *Group[K, V]) Do(ctx context.Context, key K, fn func(ctx context.Context) (V, error)) (v V, shared bool, err error) {
	ch := g.g.DoChan(keyString(key), func() (_ any, err error) {
		defer func() { // x/sync would panic again on another goroutine and end the process
			if p := recover(); p != nil {
				err = recovery.ErrPanic.WithMessage("singleflight: the function panicked: %v", p).WithCause(recovery.NewPanicError(p))
			}
		}()
		fctx := context.WithoutCancel(ctx)
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			fctx, cancel = context.WithDeadline(fctx, dl)
			defer cancel()
		}
		return fn(fctx)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return v, r.Shared, r.Err
		}
		v, _ = r.Val.(V) // a nil interface value is no V
		return v, r.Shared, nil
	case <-ctx.Done():
		return v, false, ctx.Err()
	}
}

// Forget makes the next Do of key start a new flight rather than join the
// one in progress (after the value it loads is known to be stale).
func (g *Group[K, V]) Forget(key K) { g.g.Forget(keyString(key)) }

// keyString is the string x/sync keys a flight by: the key itself for
// strings, else its type and Go-syntax value, which tells apart the values
// of every comparable type that fmt prints in full. Keys that are equal but
// print differently (0.0 and -0.0) only cost a second flight.
func keyString[K comparable](k K) string {
	if s, ok := any(k).(string); ok {
		return s
	}
	return fmt.Sprintf("%T\x00%#v", k, k)
}
