package xgorm

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
)

// Driver is what xgorm needs from one database beyond gorm itself. Each
// database gox supports has a sub-package that registers its Driver when it
// is imported, the way database/sql drivers do, so that a program links only
// the databases it imports:
//
//	import _ "github.com/goxkit/gox/contrib/database/xgorm/postgres"
//
// Config.Driver then picks a registered driver by name.
type Driver struct {
	// Dialector returns gorm's dialector for c, preparing what the DSN
	// needs first (SQLite: the file's directory and the pragmas).
	Dialector func(c Config) (gorm.Dialector, error)
	// Dialect is goose's name of the database, for versioned migrations.
	Dialect goose.Dialect
	// Lock takes the lock that serialises migrations of c's database across
	// every process that shares it, waiting as long as ctx allows; unlock
	// releases it. The lock must end with the process holding it. Nil means
	// no lock between processes.
	Lock func(ctx context.Context, c Config) (unlock func(), err error)
	// LockOpen makes Open hold Lock while it makes the first connection:
	// SQLite switches a new file to WAL then, which two processes cannot do
	// at the same moment.
	LockOpen bool
	// MaxOpenConns is the pool bound when Config sets none; 0 means 20.
	MaxOpenConns int
}

// driverImport is the package that registers a driver gox supports.
const driverImport = "github.com/goxkit/gox/contrib/database/xgorm/"

// builtin are the drivers gox has sub-packages for, by name.
var builtin = []string{SQLite, MySQL, Postgres, ClickHouse}

var (
	driversMu sync.RWMutex
	drivers   = map[string]Driver{}
)

// Register makes d the driver named name. The sub-packages call it from
// init; it panics when name is registered twice or d has no Dialector, as
// database/sql.Register does, because either is a mistake in the program.
func Register(name string, d Driver) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if d.Dialector == nil {
		panic(fmt.Sprintf("xgorm: Register %q: the driver has no Dialector", name))
	}
	if _, dup := drivers[name]; dup {
		panic(fmt.Sprintf("xgorm: Register %q: registered twice", name))
	}
	drivers[name] = d
}

// Drivers returns the names of the registered drivers, sorted.
func Drivers() []string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	names := make([]string, 0, len(drivers))
	for n := range drivers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// known reports whether name is a driver gox supports or one the program registered.
func known(name string) bool {
	if slices.Contains(builtin, name) {
		return true
	}
	driversMu.RLock()
	defer driversMu.RUnlock()
	_, ok := drivers[name]
	return ok
}

// driver returns the registered driver named name, or an error saying which
// import registers it.
func driver(name string) (Driver, error) {
	driversMu.RLock()
	d, ok := drivers[name]
	driversMu.RUnlock()
	if ok {
		return d, nil
	}
	if slices.Contains(builtin, name) {
		return Driver{}, fmt.Errorf("driver %q is not linked into this program: add import _ %q", name, driverImport+name)
	}
	return Driver{}, fmt.Errorf("driver %q is not registered (registered: %v)", name, Drivers())
}
