package lock_test

import (
	"context"
	"fmt"
	"time"

	"github.com/goxkit/gox/lock"
)

func ExampleLocker() {
	var locker lock.Locker = lock.NewLocal() // or contrib/cache/redis's NewLocker across processes
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l, err := locker.Obtain(ctx, "invoice:42")
	if err != nil {
		fmt.Println("busy:", err)
		return
	}
	defer l.Release(context.WithoutCancel(ctx))
	fmt.Println("holding", l.Key())
	// Output: holding invoice:42
}
