package lock_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/lock"
	"github.com/goxkit/gox/lock/locktest"
)

func TestLocalContract(t *testing.T) {
	shared := lock.NewLocal() // one process: every "locker" is the same
	locktest.Run(t, func(*testing.T) lock.Locker { return shared })
}

func TestLocalCounterUnderContention(t *testing.T) {
	l := lock.NewLocal()
	counter := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				k, err := l.Obtain(context.Background(), "counter")
				if err != nil {
					t.Error(err)
					return
				}
				v := counter
				time.Sleep(0) // let others run between read and write
				counter = v + 1
				_ = k.Release(context.Background())
			}
		})
	}
	wg.Wait()
	if counter != 4000 {
		t.Fatalf("counter %d, want 4000: an update was lost", counter)
	}
}

func TestLocalForgetsFreeKeys(t *testing.T) {
	l := lock.NewLocal()
	k, _ := l.Obtain(context.Background(), "a")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.Obtain(ctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Obtain: %v", err)
	}
	_ = k.Release(context.Background())
	k2, err := l.Obtain(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	_ = k2.Release(context.Background())
}
