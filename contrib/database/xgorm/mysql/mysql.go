// Package mysql registers MySQL and MariaDB with xgorm, on gorm's mysql
// driver (go-sql-driver/mysql). Import it for its effect in a program whose
// config names the mysql driver:
//
//	import _ "github.com/goxkit/gox/contrib/database/xgorm/mysql"
//
// Migrations hold GET_LOCK, named after the database, on a session of their
// own, so that replicas starting together migrate once; the server releases
// it when the session ends, a crashed process's too.
package mysql

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/pressly/goose/v3"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"

	"github.com/goxkit/gox/contrib/database/xgorm"
	"github.com/goxkit/gox/contrib/database/xgorm/internal/sessionlock"
)

func init() {
	xgorm.Register(xgorm.MySQL, xgorm.Driver{
		Dialector: func(c xgorm.Config) (gorm.Dialector, error) { return gormmysql.Open(c.DSN), nil },
		Dialect:   goose.DialectMySQL,
		Lock:      lock,
	})
}

// lockName is the migration lock's name: lock names are server-wide, so it
// is named after the database (at most 64 characters).
const lockName = "LEFT(CONCAT('gox_migrations.', IFNULL(DATABASE(), '')), 64)"

// lock holds GET_LOCK until the returned func is called, asking again every
// sessionlock.Poll until ctx ends.
func lock(ctx context.Context, c xgorm.Config) (func(), error) {
	return sessionlock.Take(ctx, gormmysql.DefaultDriverName, c.DSN, func(ctx context.Context, conn *sql.Conn) (bool, error) {
		var got sql.NullInt64
		err := conn.QueryRowContext(ctx, "SELECT GET_LOCK("+lockName+", ?)", int(sessionlock.Poll/time.Second)).Scan(&got)
		if err == nil && !got.Valid {
			err = errors.New("GET_LOCK returned NULL")
		}
		return got.Int64 == 1, err
	}, "SELECT RELEASE_LOCK("+lockName+")")
}
