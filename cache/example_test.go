package cache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/goxkit/gox/cache"
)

type User struct {
	ID   int
	Name string
}

func ExampleCache_GetOrLoad() {
	store, _ := cache.NewMemory(cache.DefaultMemoryConfig())
	users := cache.New[User](store, cache.WithTTL(5*time.Minute), cache.WithNegativeTTL(30*time.Second))
	ctx := context.Background()
	find := func(id int) func(context.Context) (User, error) {
		return func(context.Context) (User, error) {
			fmt.Println("loading user", id) // the database query
			if id != 7 {
				return User{}, cache.ErrNotFound
			}
			return User{ID: 7, Name: "Ann"}, nil
		}
	}
	_, _ = users.GetOrLoad(ctx, "user:7", find(7))
	u, _ := users.GetOrLoad(ctx, "user:7", find(7)) // cached: no load
	fmt.Println(u.Name)
	_, _ = users.GetOrLoad(ctx, "user:8", find(8))
	_, err := users.GetOrLoad(ctx, "user:8", find(8)) // "not found" is remembered
	fmt.Println(err)
	// Output:
	// loading user 7
	// Ann
	// loading user 8
	// cache: not found
}
