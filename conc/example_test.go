package conc_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/goxkit/gox/conc"
)

// A handler starts work that must outlive its request; a panic in it is
// logged and reported, not a crash.
func ExampleGo() {
	ctx, cancel := context.WithCancel(context.Background()) // a request's ctx
	done := conc.Go(ctx, func(ctx context.Context) error {
		// ctx keeps the request's values but not its cancellation
		return ctx.Err()
	}, conc.WithName("send-receipt"), conc.WithTimeout(time.Minute))
	cancel() // the handler answered
	fmt.Println(<-done)
	// Output: <nil>
}

func ExampleGroup() {
	g := conc.NewGroup(context.Background(), conc.WithLimit(2))
	for _, name := range []string{"a", "b", "c"} {
		_ = g.Go(func(ctx context.Context) error {
			if name == "b" {
				return fmt.Errorf("resize %s: unsupported format", name)
			}
			return nil
		})
	}
	fmt.Println(g.Wait())
	// Output: resize b: unsupported format
}

func ExampleAll() {
	results, errs := conc.All(context.Background(),
		func(context.Context) (string, error) { return "profile", nil },
		func(context.Context) (string, error) { return "", fmt.Errorf("orders: unavailable") },
	)
	fmt.Println(results, errs)
	// Output: [profile ] [<nil> orders: unavailable]
}

func ExampleFirst() {
	v, err := conc.First(context.Background(),
		func(ctx context.Context) (string, error) { <-ctx.Done(); return "", ctx.Err() }, // a slow mirror
		func(context.Context) (string, error) { return "from the fast mirror", nil },
	)
	fmt.Println(v, err)
	// Output: from the fast mirror <nil>
}

func ExampleWaterfall() {
	v, err := conc.Waterfall(context.Background(), "  Gox ",
		func(_ context.Context, s string) (string, error) { return strings.TrimSpace(s), nil },
		func(_ context.Context, s string) (string, error) { return strings.ToLower(s), nil },
	)
	fmt.Println(v, err)
	// Output: gox <nil>
}

func ExampleMap() {
	lengths, err := conc.Map(context.Background(), []string{"a", "bb", "ccc"}, 2,
		func(_ context.Context, s string) (int, error) { return len(s), nil })
	fmt.Println(lengths, err)
	// Output: [1 2 3] <nil>
}

func ExampleCyclicBarrier() {
	b, _ := conc.NewCyclicBarrier(3, func(context.Context) error {
		fmt.Println("phase done")
		return nil
	})
	g := conc.NewGroup(context.Background())
	for range 3 {
		_ = g.Go(func(ctx context.Context) error {
			for range 2 { // two phases
				if err := b.Await(ctx); err != nil {
					return err
				}
			}
			return nil
		})
	}
	fmt.Println(g.Wait())
	// Output:
	// phase done
	// phase done
	// <nil>
}

func ExampleScheduler() {
	s := conc.NewScheduler(context.Background(), conc.WithName("reminders"))
	for _, d := range []time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond} {
		_ = s.Delay(d, func(context.Context) error { fmt.Println("after", d); return nil })
	}
	fmt.Println(s.Wait(context.Background()))
	fmt.Println(s.Delay(time.Second, func(context.Context) error { return nil }))
	// Output:
	// after 1ms
	// after 2ms
	// after 3ms
	// <nil>
	// conc: the scheduler is closed (Wait or Stop was called)
}
