package registry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLatest(t *testing.T) {
	one := []*ServiceInstance{{ID: "a", Name: "s", Endpoints: []string{"http://h:1"}}}
	w := NewLatest(context.Background(), one)
	one[0].ID = "changed" // the watcher kept its own copy
	if set, err := w.Next(); err != nil || len(set) != 1 || set[0].ID != "a" {
		t.Fatalf("first Next = %v, %v", set, err)
	}
	w.Publish(nil)
	w.Publish([]*ServiceInstance{{ID: "b"}, {ID: "c"}}) // replaces the unread empty set
	if set, err := w.Next(); err != nil || len(set) != 2 {
		t.Fatalf("Next after two publishes = %v, %v; want the latest (two instances)", set, err)
	}
	done := make(chan error, 1)
	go func() { _, err := w.Next(); done <- err }()
	time.Sleep(20 * time.Millisecond)
	w.Publish([]*ServiceInstance{{ID: "d"}}) // unblocks it
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	w.Publish([]*ServiceInstance{{ID: "e"}}) // pending when Stop comes
	_ = w.Stop()
	if set, err := w.Next(); !errors.Is(err, ErrWatcherStopped) {
		t.Fatalf("Next after Stop = %v, %v; want ErrWatcherStopped", set, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	w = NewLatest(ctx, nil)
	_, _ = w.Next()
	cancel()
	if _, err := w.Next(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next after the context ended: %v", err)
	}
}
