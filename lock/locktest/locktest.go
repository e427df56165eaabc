// Package locktest is the contract every lock.Locker passes; the Local locker
// runs it in core, the Redis locker in contrib/cache/redis against a real server.
package locktest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/lock"
)

// Run runs the contract against lockers from newLocker. Lockers from two
// calls must share the backend, as two processes would.
func Run(t *testing.T, newLocker func(t *testing.T) lock.Locker) {
	ctx := context.Background()
	key := func(t *testing.T) string { return fmt.Sprintf("locktest:%s:%d", t.Name(), time.Now().UnixNano()) }
	t.Run("ExclusiveAcrossLockers", func(t *testing.T) {
		a, b := newLocker(t), newLocker(t)
		k := key(t)
		la, err := a.Obtain(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if la.Key() != k {
			t.Fatalf("Key() = %q", la.Key())
		}
		short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
		defer cancel()
		if _, err := b.Obtain(short, k); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Obtain of a held lock: %v, want the ctx deadline", err)
		}
		if err := la.Release(ctx); err != nil {
			t.Fatal(err)
		}
		lb, err := b.Obtain(ctx, k)
		if err != nil {
			t.Fatalf("Obtain after Release: %v", err)
		}
		_ = lb.Release(ctx)
	})
	t.Run("WaiterGetsItOnRelease", func(t *testing.T) {
		a, b := newLocker(t), newLocker(t)
		k := key(t)
		la, _ := a.Obtain(ctx, k)
		got := make(chan error, 1)
		go func() {
			lb, err := b.Obtain(ctx, k)
			if err == nil {
				err = lb.Release(ctx)
			}
			got <- err
		}()
		time.Sleep(100 * time.Millisecond)
		select {
		case err := <-got:
			t.Fatalf("the waiter got a held lock: %v", err)
		default:
		}
		_ = la.Release(ctx)
		select {
		case err := <-got:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the waiter did not get the lock within 5 s of its release")
		}
	})
	t.Run("ReleaseTwiceIsErrNotHeld", func(t *testing.T) {
		l, _ := newLocker(t).Obtain(ctx, key(t))
		if err := l.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if err := l.Release(ctx); !errors.Is(err, lock.ErrNotHeld) {
			t.Fatalf("second Release: %v, want ErrNotHeld", err)
		}
	})
	t.Run("NoLostUpdates", func(t *testing.T) {
		k := key(t)
		var counter, inside atomic.Int64
		var wg sync.WaitGroup
		for range 4 {
			l := newLocker(t)
			wg.Go(func() {
				for range 50 {
					held, err := l.Obtain(ctx, k)
					if err != nil {
						t.Error(err)
						return
					}
					if inside.Add(1) != 1 {
						t.Error("two holders at once")
					}
					v := counter.Load()
					time.Sleep(time.Millisecond)
					counter.Store(v + 1)
					inside.Add(-1)
					if err := held.Release(ctx); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if counter.Load() != 200 {
			t.Fatalf("counter %d, want 200", counter.Load())
		}
	})
}
