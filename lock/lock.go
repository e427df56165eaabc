// Package lock is gox's lock contract: Locker.Obtain returns a Lock held until
// Release, renewed while held by backends whose locks expire (Redis, in
// contrib/cache/redis), with Lost closed if the lock slips away. Local is the
// in-process implementation for single-node services and tests.
//
//	l, err := locker.Obtain(ctx, "invoice:42")
//	if err != nil { return err } // ctx ended before the lock was free
//	defer l.Release(context.WithoutCancel(ctx))
//	select {
//	case <-l.Lost(): return errors.New("lost the lock") // only backends with expiring locks
//	default:
//	}
package lock

import (
	"context"
	"errors"
	"sync"
)

// ErrNotHeld is returned by Release when the lock is no longer held by this
// owner: it expired and someone else may hold it now.
var ErrNotHeld = errors.New("lock: not held by this owner")

// Locker hands out named locks.
type Locker interface {
	// Obtain blocks until the lock named key is held or ctx is done; it
	// returns ctx's error in the latter case.
	Obtain(ctx context.Context, key string) (Lock, error)
}

// Lock is a held lock.
type Lock interface {
	// Key is the lock's name.
	Key() string
	// Lost is closed when the lock is no longer held although Release was
	// not called (a backend could not renew it in time). Local locks are
	// never lost.
	Lost() <-chan struct{}
	// Release gives the lock up. Releasing twice, or after the lock was
	// lost, returns ErrNotHeld.
	Release(ctx context.Context) error
}

// Local is a Locker for one process: one channel-based mutex per key,
// dropped when nobody holds or waits for it.
type Local struct {
	mu    sync.Mutex
	locks map[string]*localEntry
}

type localEntry struct {
	ch   chan struct{} // holds a token while the lock is held
	refs int           // holders and waiters
}

var _ Locker = (*Local)(nil)

// NewLocal returns an in-process Locker.
func NewLocal() *Local { return &Local{locks: map[string]*localEntry{}} }

// Obtain implements Locker.
func (l *Local) Obtain(ctx context.Context, key string) (Lock, error) {
	l.mu.Lock()
	e, ok := l.locks[key]
	if !ok {
		e = &localEntry{ch: make(chan struct{}, 1)}
		l.locks[key] = e
	}
	e.refs++
	l.mu.Unlock()
	select {
	case e.ch <- struct{}{}:
		return &localLock{l: l, key: key, e: e}, nil
	case <-ctx.Done():
		l.unref(key, e)
		return nil, ctx.Err()
	}
}

func (l *Local) unref(key string, e *localEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(l.locks, key)
	}
}

type localLock struct {
	l    *Local
	key  string
	e    *localEntry
	once sync.Once
}

var never = make(chan struct{})

func (k *localLock) Key() string           { return k.key }
func (k *localLock) Lost() <-chan struct{} { return never }

func (k *localLock) Release(context.Context) error {
	err := ErrNotHeld
	k.once.Do(func() {
		<-k.e.ch
		k.l.unref(k.key, k.e)
		err = nil
	})
	return err
}
