package bench

import (
	"context"
	"log/slog"
	"testing"

	"github.com/goxkit/gox/broker"
)

// BenchmarkQueue publishes b.N messages and consumes them with one consumer
// (concurrency 1), end to end: ns/op is the cost of one message through the
// broker, against a buffered Go channel in the same run. (The database
// backend's benchmark is not here yet: a first attempt showed SQLite's busy
// handler stalling the publisher and the consumer for hundreds of
// milliseconds under concurrent writes; see bench/RESULTS.md.)
func BenchmarkQueue(b *testing.B) {
	body := []byte(`{"order":7,"total":42}`)
	b.Run("memory/chan", func(b *testing.B) {
		ch := make(chan *broker.Message, 1024)
		done := make(chan struct{})
		go func() {
			for range b.N {
				<-ch
			}
			close(done)
		}()
		for range b.N {
			ch <- &broker.Message{Body: body}
		}
		<-done
	})
	b.Run("memory/gox", func(b *testing.B) {
		runQueue(b, broker.NewMemory(), body)
	})
}

func runQueue(b *testing.B, br broker.Backend, body []byte) {
	ctx := context.Background()
	got := make(chan struct{}, 1024)
	c, err := broker.NewConsumer(br, "bench", func(context.Context, *broker.Message) error {
		got <- struct{}{}
		return nil
	}, broker.ConsumerOptions{Group: "g", Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	defer c.Stop(ctx)
	// join the group before timing
	if err := br.Publish(ctx, "bench", &broker.Message{Body: body}); err != nil {
		b.Fatal(err)
	}
	<-got
	done := make(chan struct{})
	n := 0
	b.ResetTimer()
	go func() {
		for range b.N {
			<-got
		}
		close(done)
	}()
	for n < b.N {
		if err := br.Publish(ctx, "bench", &broker.Message{Body: body}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	<-done
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
