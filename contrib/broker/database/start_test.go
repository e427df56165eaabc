package dbbroker_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	dbbroker "github.com/goxkit/gox/contrib/broker/database"
	xgorm "github.com/goxkit/gox/contrib/database/gorm"
	"github.com/goxkit/gox/contrib/database/gorm/xgormtest"
	"github.com/goxkit/gox/goxtest"
)

// startProcs processes start on one fresh database at the same instant, as
// a rollout of that many replicas does, startRounds() times
// (GOX_START_ROUNDS, default 5; before the migration lock, 1 in 2 rounds failed).
const startProcs = 5

func startRounds() int {
	if n, err := strconv.Atoi(os.Getenv("GOX_START_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 5
}

// replica does what a
// scaffolded service does at start with the database queue: opens the
// database, creates the broker's tables, runs `db migrate`, joins a
// consumer group and publishes.
func replica(driver, dsn string) error {
	c := xgorm.DefaultConfig()
	c.Driver, c.DSN = driver, dsn
	ctx := context.Background()
	db, err := xgorm.Open(ctx, xgorm.Configs{xgorm.DefaultName: c})
	if err != nil {
		return err
	}
	defer db.Close()
	b, err := dbbroker.New(db, fast())
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.Migrate(ctx); err != nil {
		return err
	}
	if _, err := db.Migrate(ctx, xgorm.Migrations{Models: dbbroker.Models(), SQL: os.DirFS("testdata/migrations")}); err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if _, err := b.Receive(rctx, "started", "replicas"); !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("join: %v", err)
	}
	return b.Publish(ctx, "orders", &broker.Message{Body: []byte("hello")})
}

// TestConcurrentStart starts several replicas on one fresh database at the
// same instant: every one starts, the tables are created once, the SQL
// migration runs once, and every replica's message is queued.
func TestConcurrentStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	for name, cfg := range xgormtest.Drivers() {
		t.Run(name, func(t *testing.T) {
			base := cfg(t)
			for range startRounds() {
				dsn := xgormtest.Fresh(t, base).DSN
				goxtest.StartReplicas(t, startProcs, "GOX_START_DRIVER="+base.Driver, "GOX_START_DSN="+dsn)
				checkStartedOnce(t, base.Driver, dsn)
			}
		})
	}
}

func checkStartedOnce(t *testing.T, driver, dsn string) {
	t.Helper()
	c := xgorm.DefaultConfig()
	c.Driver, c.DSN = driver, dsn
	db, err := xgorm.Open(context.Background(), xgorm.Configs{xgorm.DefaultName: c})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var versions []int64
	db.Default().Raw("SELECT version_id FROM " + xgorm.MigrationTable + " WHERE version_id > 0").Scan(&versions)
	var seeds, jobs, groups int64
	db.Default().Table("seeds").Count(&seeds)
	db.Default().Model(&dbbroker.Job{}).Where("topic = ?", "orders").Count(&jobs)
	db.Default().Model(&dbbroker.Group{}).Count(&groups)
	if fmt.Sprint(versions) != "[1]" || seeds != 1 || jobs != startProcs || groups != 1 {
		t.Fatalf("after %d concurrent starts: migrations recorded %v, %d rows from the migration, %d messages queued, %d groups; want [1], 1, %d, 1",
			startProcs, versions, seeds, jobs, groups, startProcs)
	}
}
