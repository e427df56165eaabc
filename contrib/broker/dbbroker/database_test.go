package dbbroker_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/broker/brokertest"
	"github.com/goxkit/gox/contrib/broker/dbbroker"
	"github.com/goxkit/gox/contrib/database/xgorm"
	_ "github.com/goxkit/gox/contrib/database/xgorm/mysql"
	_ "github.com/goxkit/gox/contrib/database/xgorm/postgres"
	_ "github.com/goxkit/gox/contrib/database/xgorm/sqlite"
	"github.com/goxkit/gox/contrib/database/xgorm/xgormtest"
	"github.com/goxkit/gox/goxtest"
)

func sqlite(t *testing.T) xgorm.Config {
	c := xgorm.DefaultConfig()
	c.DSN = filepath.Join(t.TempDir(), "queue.db")
	return c
}

func postgres(t *testing.T) xgorm.Config { return xgormtest.Postgres(t) }

func mysql(t *testing.T) xgorm.Config { return xgormtest.MySQL(t) }

// open opens the database once per test, with fresh broker tables.
func open(t *testing.T, c xgorm.Config) *xgorm.DB {
	t.Helper()
	db, err := xgorm.Open(context.Background(), xgorm.Configs{"default": c})
	goxtest.Opened(t, db, err)
	_ = db.Default().Migrator().DropTable(dbbroker.Models()...)
	if _, err := db.Migrate(context.Background(), xgorm.Migrations{Models: dbbroker.Models()}); err != nil {
		t.Fatal(err)
	}
	return db
}

func fast() dbbroker.Config {
	c := dbbroker.DefaultConfig()
	c.PollInterval = 20 * time.Millisecond
	return c
}

func TestContract(t *testing.T) {
	for name, cfg := range map[string]func(*testing.T) xgorm.Config{"sqlite": sqlite, "postgres": postgres, "mysql": mysql} {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			dbs := map[*testing.T]*xgorm.DB{}
			brokertest.Run(t, func(t *testing.T) broker.Backend {
				db := func() *xgorm.DB {
					mu.Lock()
					defer mu.Unlock() // open may end the test (t.Fatal)
					if db, ok := dbs[t]; ok {
						return db
					}
					dbs[t] = open(t, cfg(t))
					return dbs[t]
				}()
				b, err := dbbroker.New(db, fast()) // a Broker each, as separate processes
				return goxtest.Opened(t, b, err)
			})
		})
	}
}

// Publishing inside a transaction is the outbox: the message exists if and
// only if the business write committed.
func TestOutbox(t *testing.T) {
	db := open(t, sqlite(t))
	ctx := context.Background()
	type Order struct {
		ID    uint
		Total int
	}
	if _, err := db.Migrate(ctx, xgorm.Migrations{Models: []any{&Order{}}}); err != nil {
		t.Fatal(err)
	}
	b, _ := dbbroker.New(db, fast())
	place := func(fail bool) error {
		return db.Transaction(ctx, func(ctx context.Context) error {
			if err := db.Conn(ctx).Create(&Order{Total: 5}).Error; err != nil {
				return err
			}
			if err := b.Publish(ctx, "orders", &broker.Message{Body: []byte("placed")}); err != nil {
				return err
			}
			if fail {
				return errors.New("payment refused")
			}
			return nil
		})
	}
	_ = place(true)
	if err := place(false); err != nil {
		t.Fatal(err)
	}
	var orders, jobs int64
	db.Conn(ctx).Model(&Order{}).Count(&orders)
	db.Conn(ctx).Model(&dbbroker.Job{}).Count(&jobs)
	if orders != 1 || jobs != 1 {
		t.Fatalf("%d orders and %d queued messages after one rolled back and one committed transaction; want 1 and 1", orders, jobs)
	}
}

// A consumer that dies without settling (its reservation is never renewed)
// gets its message delivered again after the visibility timeout, with the
// next attempt number.
func TestVisibilityTimeoutRedelivers(t *testing.T) {
	db := open(t, sqlite(t))
	c := fast()
	c.Visibility = 300 * time.Millisecond
	b, _ := dbbroker.New(db, c)
	ctx := context.Background()
	_ = b.Publish(ctx, "jobs", &broker.Message{ID: "m1"})
	d, err := b.Receive(ctx, "jobs", "g")
	if err != nil || d.Message().Attempt != 1 {
		t.Fatalf("first receive: %v", err)
	}
	// the holder "dies": no Ack
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	start := time.Now()
	d2, err := b.Receive(rctx, "jobs", "g")
	if err != nil || d2.Message().ID != "m1" || d2.Message().Attempt != 2 {
		t.Fatalf("redelivery: %v", err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Fatalf("redelivered after %v, before the visibility timeout", waited)
	}
	if err := d.Ack(ctx); err == nil {
		t.Fatal("the dead holder's late Ack succeeded; it must fail, the message is someone else's now")
	}
	if err := d2.Ack(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestConfigChecked(t *testing.T) {
	db := open(t, sqlite(t))
	c := dbbroker.DefaultConfig()
	c.Conn = "reports"
	if _, err := dbbroker.New(db, c); err == nil {
		t.Fatal("an unknown connection was accepted")
	}
	c = dbbroker.DefaultConfig()
	c.Visibility = 0
	if _, err := dbbroker.New(db, c); err == nil {
		t.Fatal("zero visibility was accepted")
	}
	c = dbbroker.DefaultConfig()
	c.BacklogSeries = 0
	if _, err := dbbroker.New(db, c); err == nil || !strings.Contains(err.Error(), "backlog_series (0)") {
		t.Fatalf("zero backlog_series: %v", err)
	}
}

// A consumer waiting in this process is woken by a publish in this process,
// not at its next poll; one in a transaction is found at the poll after the
// commit.
func TestPublishWakesLocalConsumers(t *testing.T) {
	db := open(t, sqlite(t))
	c := dbbroker.DefaultConfig()
	c.PollInterval = time.Minute
	b, _ := dbbroker.New(db, c)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan broker.Delivery, 1)
	go func() {
		d, err := b.Receive(ctx, "jobs", "g")
		if err != nil {
			t.Error(err)
		}
		got <- d
	}()
	time.Sleep(100 * time.Millisecond) // the consumer has polled and waits
	if err := b.Publish(ctx, "jobs", &broker.Message{ID: "m1"}); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-got:
		if d == nil || d.Message().ID != "m1" {
			t.Fatalf("received %v; want m1", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting consumer was not woken by the publish (poll interval is a minute)")
	}
}

// Messages become due in the order of their due time, whatever was published
// first: a delayed message does not hold up the ones behind it.
func TestDueOrder(t *testing.T) {
	db := open(t, sqlite(t))
	b, _ := dbbroker.New(db, fast())
	ctx := context.Background()
	if _, err := b.Receive(canceled(ctx), "jobs", "g"); err == nil {
		t.Fatal("receive with a canceled context succeeded")
	}
	_ = b.Publish(ctx, "jobs", &broker.Message{ID: "later"}, broker.WithDelay(400*time.Millisecond))
	for _, id := range []string{"a", "b", "c"} {
		_ = b.Publish(ctx, "jobs", &broker.Message{ID: id})
	}
	var order []string
	for range 4 {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		d, err := b.Receive(rctx, "jobs", "g")
		cancel()
		if err != nil {
			t.Fatalf("after %v: %v", order, err)
		}
		order = append(order, d.Message().ID)
		_ = d.Ack(ctx)
	}
	if strings.Join(order, ",") != "a,b,c,later" {
		t.Fatalf("received %v; want a, b, c, then the delayed one", order)
	}
}

func canceled(ctx context.Context) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	return ctx
}

// A row whose headers column cannot be read back (edited by hand) is not
// handed to a handler as if it had no headers: it goes to the dead letters,
// as stored, with an error naming the message and the column, and the
// messages behind it flow. A header JSON would alter is refused at Publish.
func TestUnreadableRowDeadLettered(t *testing.T) {
	db := open(t, sqlite(t))
	b, _ := dbbroker.New(db, fast())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := b.Receive(canceled(ctx), "jobs", "g"); err == nil { // joins g
		t.Fatal("receive with a canceled context succeeded")
	}
	for _, id := range []string{"bad", "good"} {
		if err := b.Publish(ctx, "jobs", &broker.Message{ID: id, Headers: map[string]string{"tenant": "acme"}}); err != nil {
			t.Fatal(err)
		}
	}
	db.Default().Model(&dbbroker.Job{}).Where("msg_id = ?", "bad").Update("headers", `{"tenant":7}`)
	d, err := b.Receive(ctx, "jobs", "g")
	if err != nil || d.Message().ID != "good" || d.Message().Header("tenant") != "acme" {
		t.Fatalf("received %v, %v; want good with its headers", d, err)
	}
	dl, err := b.ListDeadLetters(ctx, "jobs", "g", 0)
	if err != nil || len(dl) != 1 || dl[0].Message.ID != "bad" ||
		!strings.Contains(dl[0].Error, "message bad of jobs") || !strings.Contains(dl[0].Error, `stored headers "{\"tenant\":7}"`) {
		t.Fatalf("dead letters %+v, %v; want bad, naming its headers", dl, err)
	}

	err = b.Publish(ctx, "jobs", &broker.Message{ID: "bin", Headers: map[string]string{"sig": "\xff\x00"}})
	if err == nil || !strings.Contains(err.Error(), `message bin: header "sig": value "\xff\x00" is not valid UTF-8`) {
		t.Fatalf("publish with a binary header: %v", err)
	}
}
