// scaffolded by gctl; safe to edit.

// Package configs is the service's typed configuration: gox's component
// configs plus the service's own. Defaults live in Default; config.yaml
// documents every key.
package configs

import (
	"fmt"
	"time"

	"github.com/goxkit/gox/cache"
	xgorm "github.com/goxkit/gox/contrib/database/gorm"
	"github.com/goxkit/gox/log"
	xhttp "github.com/goxkit/gox/transport/http"
)

// EnvPrefix prefixes environment variables: SHOP_HTTP_ADDR sets http.addr.
// The config file wins over the environment, which wins over Default.
const EnvPrefix = "SHOP"

// Config is the whole configuration.
type Config struct {
	App  App          `yaml:"app"`
	HTTP xhttp.Config `yaml:"http"`
	Log  log.Config   `yaml:"log"`
	// Database holds named connections; "default" is the one repositories use.
	Database xgorm.Configs `yaml:"database"`
	Cache    Cache         `yaml:"cache"`
}

// Cache selects and tunes the cache store.
type Cache struct {
	// Driver is memory.
	Driver string             `yaml:"driver"`
	Memory cache.MemoryConfig `yaml:"memory"`
}

// App holds service-wide settings.
type App struct {
	// Name is the service name in logs, traces and the registry.
	Name string `yaml:"name"`
	// Env is development or production; production logs JSON and hides
	// internal error text from clients.
	Env string `yaml:"env"`
	// RequestTimeout bounds every request; the deadline reaches downstream calls.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// StopTimeout is how long in-flight requests may take to finish on shutdown.
	StopTimeout time.Duration `yaml:"stop_timeout"`
	// StopDelay waits after readiness turns false before refusing new
	// connections, so load balancers catch up.
	StopDelay time.Duration `yaml:"stop_delay"`
}

// Production reports whether Env is production.
func (a App) Production() bool { return a.Env == "production" }

// Default returns the configuration used when nothing overrides it.
func Default() Config {
	c := Config{
		App: App{
			Name:           "shop",
			Env:            "development",
			RequestTimeout: 10 * time.Second,
			StopTimeout:    30 * time.Second,
		},
		HTTP:  xhttp.DefaultConfig(),
		Log:   log.DefaultConfig(),
		Cache: Cache{Driver: "memory", Memory: cache.DefaultMemoryConfig()},
	}
	db := xgorm.DefaultConfig()
	db.Driver, db.DSN = "mysql", "app:app@tcp(127.0.0.1:3306)/shop?parseTime=true"
	c.Database = xgorm.Configs{"default": db}
	return c
}

// Validate is called by config.Load after loading.
func (c *Config) Validate() error {
	if c.App.Env != "development" && c.App.Env != "production" {
		return fmt.Errorf("app.env %q is not one of development, production", c.App.Env)
	}
	if c.App.StopTimeout <= 0 {
		return fmt.Errorf("app.stop_timeout must be positive, got %s", c.App.StopTimeout)
	}
	if err := c.Database.Validate(); err != nil {
		return err
	}
	switch c.Cache.Driver {
	case "memory":
	default:
		return fmt.Errorf("cache.driver %q is not one of memory", c.Cache.Driver)
	}
	return nil
}
