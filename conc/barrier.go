package conc

import (
	"context"
	stderrors "errors"
	"fmt"
	"sync"
)

// ErrBrokenBarrier is returned by CyclicBarrier.Await when the barrier is
// broken: a waiter's ctx was done, Reset was called while goroutines
// waited, or the barrier action failed. A broken barrier stays broken, so
// that every party learns of it, until Reset.
var ErrBrokenBarrier = stderrors.New("conc: broken barrier")

// CyclicBarrier lets a fixed number of goroutines (parties) wait for each
// other: each calls Await, and all return once the last one has arrived.
// It is cyclic: once released it is ready for the next generation, so
// workers can proceed in lock-step phases. An optional action runs once per
// generation, by the last party to arrive, before the others are released
// (merging the phase's results, say).
//
// It is safe for concurrent use.
type CyclicBarrier struct {
	parties int
	action  func(ctx context.Context) error
	mu      sync.Mutex
	gen     *generation
}

// generation is one round of the barrier; done is closed when it trips or
// breaks.
type generation struct {
	waiting int
	done    chan struct{}
	broken  bool
	err     error // why it broke, for the parties' errors
}

func newGeneration() *generation { return &generation{done: make(chan struct{})} }

// NewCyclicBarrier returns a barrier for parties goroutines; it fails on
// parties < 1. action, which may be nil, runs once per generation in the
// goroutine of the last party to arrive, with that party's ctx, while the
// barrier is held: keep it short, and do not call Await from it. If it
// fails or panics, the generation breaks: every party gets
// ErrBrokenBarrier wrapping the action's error.
func NewCyclicBarrier(parties int, action func(ctx context.Context) error) (*CyclicBarrier, error) {
	if parties < 1 {
		return nil, fmt.Errorf("conc: NewCyclicBarrier: parties is %d, must be at least 1", parties)
	}
	return &CyclicBarrier{parties: parties, action: action, gen: newGeneration()}, nil
}

// Parties returns the number of parties the barrier waits for.
func (b *CyclicBarrier) Parties() int { return b.parties }

// Waiting returns how many parties wait at the barrier now.
func (b *CyclicBarrier) Waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.gen.waiting
}

// Broken reports whether the barrier is broken (see ErrBrokenBarrier).
func (b *CyclicBarrier) Broken() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.gen.broken
}

// Await waits until all parties have called Await, then returns nil. If
// ctx is done first, Await breaks the barrier — the other parties waiting
// get ErrBrokenBarrier — and returns ctx's error; if the generation was
// already complete, it returns as the others do. On a broken barrier it
// returns ErrBrokenBarrier at once.
func (b *CyclicBarrier) Await(ctx context.Context) error {
	b.mu.Lock()
	g := b.gen
	if g.broken {
		b.mu.Unlock()
		return g.brokenErr()
	}
	if err := ctx.Err(); err != nil {
		b.breakLocked(g, err)
		b.mu.Unlock()
		return err
	}
	g.waiting++
	if g.waiting == b.parties {
		defer b.mu.Unlock()
		if b.action != nil {
			if err := call(ctx, b.action); err != nil {
				b.breakLocked(g, fmt.Errorf("the barrier action failed: %w", err))
				return g.brokenErr()
			}
		}
		b.gen = newGeneration()
		close(g.done)
		return nil
	}
	b.mu.Unlock()
	select {
	case <-g.done:
	case <-ctx.Done():
		b.mu.Lock()
		if b.gen == g && !g.broken {
			b.breakLocked(g, fmt.Errorf("a party gave up: %w", ctx.Err()))
			b.mu.Unlock()
			return ctx.Err()
		}
		b.mu.Unlock()
		// the generation tripped or broke meanwhile: its done is closed
	}
	if g.broken {
		return g.brokenErr()
	}
	return nil
}

// Reset returns the barrier to its initial state: parties waiting now get
// ErrBrokenBarrier, and a broken barrier is usable again.
func (b *CyclicBarrier) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if g := b.gen; !g.broken && g.waiting > 0 {
		b.breakLocked(g, stderrors.New("the barrier was reset"))
	}
	b.gen = newGeneration()
}

// breakLocked breaks generation g, releasing its waiters; b.mu is held.
func (b *CyclicBarrier) breakLocked(g *generation, why error) {
	g.broken, g.err = true, why
	close(g.done)
}

func (g *generation) brokenErr() error {
	return fmt.Errorf("%w: %w", ErrBrokenBarrier, g.err)
}
