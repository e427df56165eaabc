// Package clickhouse registers ClickHouse with xgorm, on gorm's clickhouse
// driver (clickhouse-go). Import it for its effect in a program whose config
// names the clickhouse driver:
//
//	import _ "github.com/goxkit/gox/contrib/database/xgorm/clickhouse"
//
// ClickHouse has no lock between processes: replicas starting together may
// each run a migration (docs/database.md lists what works on ClickHouse).
package clickhouse

import (
	"github.com/pressly/goose/v3"
	gormclickhouse "gorm.io/driver/clickhouse"
	"gorm.io/gorm"

	"github.com/goxkit/gox/contrib/database/xgorm"
)

func init() {
	xgorm.Register(xgorm.ClickHouse, xgorm.Driver{
		Dialector: func(c xgorm.Config) (gorm.Dialector, error) { return gormclickhouse.Open(c.DSN), nil },
		Dialect:   goose.DialectClickHouse,
	})
}
