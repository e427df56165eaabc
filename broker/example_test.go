package broker_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/goxkit/gox/broker"
)

func ExampleConsumer() {
	b := broker.NewMemory() // contrib/broker/dbbroker for durability
	done := make(chan struct{})
	handle := func(_ context.Context, m *broker.Message) error {
		if m.Attempt < 2 {
			return errors.New("payment service busy") // retried after Sleep
		}
		fmt.Printf("charged order %s on attempt %d\n", m.Key, m.Attempt)
		close(done)
		return nil
	}
	c, _ := broker.NewConsumer(b, "orders", handle, broker.ConsumerOptions{
		Group: "billing", Retry: 3, Sleep: 10 * time.Millisecond, Timeout: time.Second,
	})
	go func() { _ = c.Start(context.Background()) }() // gox.WithServer(c) in a service
	_ = b.Publish(context.Background(), "orders", &broker.Message{Key: "order-7", Body: []byte(`{"total":42}`)})
	<-done
	_ = c.Stop(context.Background())
	// Output: charged order order-7 on attempt 2
}
