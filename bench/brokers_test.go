package bench

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/contrib/broker/kafka"
	goxnats "github.com/goxkit/gox/contrib/broker/nats"
	"github.com/goxkit/gox/contrib/broker/rabbitmq"
	"github.com/goxkit/gox/goxtest"
)

// The server backends against their raw client libraries, in the same run:
// one publisher waiting for each publish to be acknowledged (as gox's
// Publish does), one consumer acknowledging each message. ns/op is one
// message end to end. Kafka runs on franz-go's in-process kfake; NATS and
// RabbitMQ need NATS_URL and AMQP_URL (ci/nats.sh, ci/rabbitmq.sh) and are
// left out without them.

var benchBody = []byte(`{"order":7,"total":42}`)

func uniq(prefix string) string { return fmt.Sprintf("%s%d", prefix, time.Now().UnixNano()%1e9) }

func kfakeCluster(b *testing.B) []string {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c.ListenAddrs()
}

func kafkaBroker(b *testing.B, addrs []string) *kafka.Broker {
	c := kafka.DefaultConfig()
	c.Brokers = addrs
	c.HeartbeatInterval = 100 * time.Millisecond
	k, err := kafka.Open(context.Background(), c, kafka.WithLogger(quietLogger()))
	return goxtest.Opened(b, k, err)
}

func BenchmarkQueueKafka(b *testing.B) {
	b.Run("franz-go", func(b *testing.B) {
		addrs, topic := kfakeCluster(b), uniq("raw")
		prod, _ := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.AllowAutoTopicCreation(), kgo.ProducerLinger(0))
		defer prod.Close()
		cons, _ := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumerGroup("g"), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.HeartbeatInterval(100*time.Millisecond))
		defer cons.Close()
		ctx := context.Background()
		done := make(chan struct{})
		b.ResetTimer()
		go func() {
			for n := 0; n < b.N; {
				fs := cons.PollFetches(ctx)
				n += fs.NumRecords()
			}
			close(done)
		}()
		for range b.N {
			if err := prod.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: benchBody}).FirstErr(); err != nil {
				b.Fatal(err)
			}
		}
		<-done
	})
	b.Run("gox", func(b *testing.B) { runQueue(b, kafkaBroker(b, kfakeCluster(b)), benchBody) })
}

// serverEnv is the address of a server in the environment variable name;
// when it is unset the benchmark is skipped, saying how to start one.
func serverEnv(b *testing.B, name, start string) string {
	v := os.Getenv(name)
	if v == "" {
		b.Skipf("%s is not set (%s)", name, start)
	}
	return v
}

func natsBroker(b *testing.B, url string) *goxnats.Broker {
	c := goxnats.DefaultConfig()
	c.URL = url
	n, err := goxnats.Open(context.Background(), c, goxnats.WithLogger(quietLogger()))
	return goxtest.Opened(b, n, err)
}

// rabbitBroker's names start with a fresh prefix, so runs start empty.
func rabbitBroker(b *testing.B, url string) *rabbitmq.Broker {
	c := rabbitmq.DefaultConfig()
	c.URL, c.Prefix = url, uniq("bench")
	r, err := rabbitmq.Open(context.Background(), c, rabbitmq.WithLogger(quietLogger()))
	return goxtest.Opened(b, r, err)
}

func BenchmarkQueueNATS(b *testing.B) {
	url := serverEnv(b, "NATS_URL", "ci/nats.sh start_nats")
	b.Run("nats.go", func(b *testing.B) {
		nc, err := natsgo.Connect(url)
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		ctx := context.Background()
		subject := uniq("raw")
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: subject, Subjects: []string{subject}, Storage: jetstream.FileStorage}); err != nil {
			b.Fatal(err)
		}
		defer js.DeleteStream(ctx, subject)
		cons, _ := js.CreateOrUpdateConsumer(ctx, subject, jetstream.ConsumerConfig{Durable: "g", AckPolicy: jetstream.AckExplicitPolicy})
		var got atomic.Int64
		done := make(chan struct{})
		b.ResetTimer()
		cc, err := cons.Consume(func(m jetstream.Msg) {
			_ = m.DoubleAck(ctx)
			if got.Add(1) == int64(b.N) {
				close(done)
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		defer cc.Stop()
		for range b.N {
			if _, err := js.Publish(ctx, subject, benchBody); err != nil {
				b.Fatal(err)
			}
		}
		<-done
	})
	b.Run("gox", func(b *testing.B) { runQueueTopic(b, natsBroker(b, url), uniq("gox"), benchBody) })
}

func BenchmarkQueueRabbitMQ(b *testing.B) {
	url := serverEnv(b, "AMQP_URL", "ci/rabbitmq.sh start_rabbitmq")
	b.Run("amqp091", func(b *testing.B) {
		conn, err := amqp.Dial(url)
		goxtest.Opened(b, conn, err)
		pub, _ := conn.Channel()
		_ = pub.Confirm(false)
		sub, _ := conn.Channel()
		_ = sub.Qos(32, 0, false)
		q := uniq("raw")
		if _, err := pub.QueueDeclare(q, true, false, false, false, nil); err != nil {
			b.Fatal(err)
		}
		defer pub.QueueDelete(q, false, false, false)
		ds, _ := sub.Consume(q, "", false, false, false, false, nil)
		ctx := context.Background()
		done := make(chan struct{})
		b.ResetTimer()
		go func() {
			for range b.N {
				d := <-ds
				_ = d.Ack(false)
			}
			close(done)
		}()
		for range b.N {
			dc, err := pub.PublishWithDeferredConfirmWithContext(ctx, "", q, false, false,
				amqp.Publishing{DeliveryMode: amqp.Persistent, Body: benchBody})
			if err != nil {
				b.Fatal(err)
			}
			if ok, err := dc.WaitContext(ctx); !ok || err != nil {
				b.Fatal("not confirmed", err)
			}
		}
		<-done
	})
	b.Run("gox", func(b *testing.B) { runQueue(b, rabbitBroker(b, url), benchBody) })
}

// BenchmarkQueueLatencyServers is BenchmarkQueueLatency for the server
// backends (run with -benchtime 1x).
func BenchmarkQueueLatencyServers(b *testing.B) {
	b.Run("kafka", func(b *testing.B) { runLatency(b, kafkaBroker(b, kfakeCluster(b))) })
	b.Run("nats", func(b *testing.B) {
		n := natsBroker(b, serverEnv(b, "NATS_URL", "ci/nats.sh start_nats"))
		runLatency(b, &renamed{Backend: n, suffix: uniq("")})
	})
	b.Run("rabbitmq", func(b *testing.B) {
		runLatency(b, rabbitBroker(b, serverEnv(b, "AMQP_URL", "ci/rabbitmq.sh start_rabbitmq")))
	})
}

// renamed gives every topic a suffix, so runs on a durable server start empty.
type renamed struct {
	broker.Backend
	suffix string
}

func (r *renamed) Publish(ctx context.Context, topic string, m *broker.Message, opts ...broker.PublishOption) error {
	return r.Backend.Publish(ctx, topic+r.suffix, m, opts...)
}

func (r *renamed) Receive(ctx context.Context, topic, group string) (broker.Delivery, error) {
	return r.Backend.Receive(ctx, topic+r.suffix, group)
}
