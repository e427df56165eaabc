package dbbroker_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/contrib/broker/dbbroker"
	"github.com/goxkit/gox/contrib/database/xgorm"
	"github.com/goxkit/gox/contrib/database/xgorm/xgormtest"
)

// replica does what a scaffolded service does at start with the database
// queue: creates the broker's tables, runs `db migrate`, joins a consumer
// group and publishes.
func replica(ctx context.Context, db *xgorm.DB) error {
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

// startProcs replicas start together in TestConcurrentStart.
const startProcs = 5

// TestConcurrentStart starts several replicas on one fresh database at the
// same instant, xgormtest.Rounds() times: every one starts, the tables are
// created once, the SQL migration runs once, and every replica's message is
// queued.
func TestConcurrentStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	for name, cfg := range xgormtest.Drivers() {
		t.Run(name, func(t *testing.T) {
			xgormtest.StartTogether(t, cfg(t), startProcs, func(t *testing.T, db *xgorm.DB) {
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
			})
		})
	}
}
