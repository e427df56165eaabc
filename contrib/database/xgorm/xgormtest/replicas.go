package xgormtest

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/goxkit/gox/contrib/database/xgorm"
	"github.com/goxkit/gox/goxtest"
)

// The replica's database, passed from StartTogether to Replica.
const (
	driverEnv = "GOX_XGORMTEST_DRIVER"
	dsnEnv    = "GOX_XGORMTEST_DSN"
)

// Rounds is how many times StartTogether starts its replicas, each time on a
// new database: GOX_START_ROUNDS, or 5.
func Rounds() int {
	if n, err := strconv.Atoi(os.Getenv("GOX_START_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 5
}

// StartTogether tests what a rollout does when n replicas start at the
// same instant on one new database: Rounds() times, it makes a fresh
// database like base (see Fresh), runs n copies of the test binary released
// at once, each running the start func that TestMain gave Replica, and fails
// t naming any that failed; then it calls check with the database, opened
// again, to assert what the starts left (each table created once, each
// migration run once, ...).
func StartTogether(t *testing.T, base xgorm.Config, n int, check func(t *testing.T, db *xgorm.DB)) {
	t.Helper()
	for range Rounds() {
		c := Fresh(t, base)
		goxtest.StartReplicas(t, n, driverEnv+"="+c.Driver, dsnEnv+"="+c.DSN)
		db, err := xgorm.Open(context.Background(), xgorm.Configs{xgorm.DefaultName: c})
		if err != nil {
			t.Fatal(err)
		}
		check(t, db)
		_ = db.Close()
		if t.Failed() {
			return
		}
	}
}

// Replica, called first in TestMain, returns at once unless StartTogether
// started the binary. Then it waits for the release, opens the database
// StartTogether made (at the same instant as the other replicas: opening is
// part of starting), runs start on it, closes it and exits: 0 when start
// returns nil, else 1 after printing the error.
func Replica(start func(ctx context.Context, db *xgorm.DB) error) {
	goxtest.RunAsReplica(func() error {
		c := xgorm.DefaultConfig()
		c.Driver, c.DSN = os.Getenv(driverEnv), os.Getenv(dsnEnv)
		ctx := context.Background()
		db, err := xgorm.Open(ctx, xgorm.Configs{xgorm.DefaultName: c})
		if err != nil {
			return err
		}
		defer db.Close()
		return start(ctx, db)
	})
}
