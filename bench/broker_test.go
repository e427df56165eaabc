package bench

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/contrib/broker/dbbroker"
	"github.com/goxkit/gox/contrib/database/xgorm"
	_ "github.com/goxkit/gox/contrib/database/xgorm/postgres"
	_ "github.com/goxkit/gox/contrib/database/xgorm/sqlite"
	"github.com/goxkit/gox/goxtest"
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

func runQueue(b *testing.B, br broker.Backend, body []byte) { runQueueTopic(b, br, "bench", body) }

func runQueueTopic(b *testing.B, br broker.Backend, topic string, body []byte) {
	ctx := context.Background()
	got := make(chan struct{}, 1024)
	c, err := broker.NewConsumer(br, topic, func(context.Context, *broker.Message) error {
		got <- struct{}{}
		return nil
	}, broker.ConsumerOptions{Group: "g", Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	defer c.Stop(ctx)
	// join the group before timing
	if err := br.Publish(ctx, topic, &broker.Message{Body: body}); err != nil {
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
		if err := br.Publish(ctx, topic, &broker.Message{Body: body}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	<-done
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// BenchmarkQueueDatabase is BenchmarkQueue on the database backend — SQLite
// (the scaffold's default queue) and, with PG_DSN set, PostgreSQL — against
// a hand-written gorm loop on the same database doing the same durable work
// without the queue's bookkeeping: one insert per message, then a select of
// the oldest row and its delete, each statement on its own (no implicit
// transaction), as the broker's are.
func BenchmarkQueueDatabase(b *testing.B) {
	body := []byte(`{"order":7,"total":42}`)
	dbs := []struct{ name, driver, dsn string }{{"sqlite", xgorm.SQLite, ""}}
	if dsn := os.Getenv("PG_DSN"); dsn != "" {
		dbs = append(dbs, struct{ name, driver, dsn string }{"postgres", xgorm.Postgres, dsn})
	}
	for _, d := range dbs {
		open := func(b *testing.B) *xgorm.DB {
			c := xgorm.DefaultConfig()
			c.Driver, c.DSN, c.SlowThreshold = d.driver, d.dsn, 0
			if d.driver == xgorm.SQLite {
				c.DSN = filepath.Join(b.TempDir(), "q.db")
			}
			return openDB(b, c)
		}
		b.Run(d.name+"/gorm", func(b *testing.B) {
			g := open(b).Default().Session(&gorm.Session{SkipDefaultTransaction: true})
			if err := g.AutoMigrate(&rawJob{}); err != nil {
				b.Fatal(err)
			}
			done := make(chan error, 1)
			b.ResetTimer()
			go func() {
				for n := 0; n < b.N; {
					var j rawJob
					err := g.Order("id").Limit(1).Take(&j).Error
					if errors.Is(err, gorm.ErrRecordNotFound) {
						time.Sleep(time.Millisecond)
						continue
					}
					if err == nil {
						err = g.Delete(&j).Error
					}
					if err != nil {
						done <- err
						return
					}
					n++
				}
				done <- nil
			}()
			for range b.N {
				if err := g.Create(&rawJob{Topic: "bench", Body: body}).Error; err != nil {
					b.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
		b.Run(d.name+"/gox", func(b *testing.B) {
			c := dbbroker.DefaultConfig()
			c.PollInterval = time.Millisecond
			runQueue(b, dbBroker(b, open(b), c), body)
		})
	}
}

// openDB opens the database of c for the benchmark, closed when it ends,
// without the tables an earlier run left (the queue's and rawJob's).
func openDB(b *testing.B, c xgorm.Config) *xgorm.DB {
	db, err := xgorm.Open(context.Background(), xgorm.Configs{xgorm.DefaultName: c}, xgorm.WithLogger(quietLogger()))
	goxtest.Opened(b, db, err)
	if err := db.Default().Migrator().DropTable(append(dbbroker.Models(), &rawJob{})...); err != nil {
		b.Fatal(err)
	}
	return db
}

// dbBroker is a database broker on db, its tables migrated.
func dbBroker(b *testing.B, db *xgorm.DB, c dbbroker.Config) *dbbroker.Broker {
	br, err := dbbroker.New(db, c)
	if err != nil {
		b.Fatal(err)
	}
	if err := br.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return br
}

type rawJob struct {
	ID    uint64 `gorm:"primaryKey"`
	Topic string
	Body  []byte
}

// latencyRate and latencyCount fix the offered load of the latency
// benchmarks: 2,000 messages at 1,000 per second.
const (
	latencyRate  = 1000
	latencyCount = 2000
)

// runLatency publishes latencyCount messages at latencyRate per second and
// reports the publish-to-handler latency percentiles (p50-ms, p99-ms) and the
// achieved rate. Run with -benchtime 1x: ns/op is the whole run.
func runLatency(b *testing.B, br broker.Backend) {
	ctx := context.Background()
	lat := make(chan time.Duration, latencyCount+1)
	c, err := broker.NewConsumer(br, "latency", func(_ context.Context, m *broker.Message) error {
		lat <- time.Since(m.Time)
		return nil
	}, broker.ConsumerOptions{Group: "g", Concurrency: 4, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	defer c.Stop(ctx)
	if err := br.Publish(ctx, "latency", &broker.Message{Body: []byte("warm")}); err != nil {
		b.Fatal(err)
	}
	<-lat
	body := []byte(`{"order":7,"total":42}`)
	for range b.N {
		tick := time.NewTicker(time.Second / latencyRate)
		start := time.Now()
		for range latencyCount {
			<-tick.C
			if err := br.Publish(ctx, "latency", &broker.Message{Body: body, Time: time.Now()}); err != nil {
				b.Fatal(err)
			}
		}
		tick.Stop()
		got := make([]time.Duration, 0, latencyCount)
		timeout := time.After(30 * time.Second)
		for len(got) < latencyCount {
			select {
			case d := <-lat:
				got = append(got, d)
			case <-timeout:
				b.Fatalf("%d of %d messages arrived in 30 s", len(got), latencyCount)
			}
		}
		slices.Sort(got)
		b.ReportMetric(float64(got[len(got)/2])/1e6, "p50-ms")
		b.ReportMetric(float64(got[len(got)*99/100])/1e6, "p99-ms")
		b.ReportMetric(float64(latencyCount)/time.Since(start).Seconds(), "msg/s")
	}
}

// BenchmarkQueueLatency: end-to-end latency at a fixed rate, per backend.
func BenchmarkQueueLatency(b *testing.B) {
	b.Run("memory", func(b *testing.B) { runLatency(b, broker.NewMemory()) })
	b.Run("sqlite", func(b *testing.B) {
		c := xgorm.DefaultConfig()
		c.DSN = filepath.Join(b.TempDir(), "q.db")
		runLatency(b, dbBroker(b, openDB(b, c), dbbroker.DefaultConfig()))
	})
	b.Run("postgres", func(b *testing.B) {
		c := xgorm.DefaultConfig()
		c.Driver, c.DSN = xgorm.Postgres, serverEnv(b, "PG_DSN", "ci/postgres.sh start_postgres")
		runLatency(b, dbBroker(b, openDB(b, c), dbbroker.DefaultConfig()))
	})
}
