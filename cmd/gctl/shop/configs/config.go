// scaffolded by gctl; safe to edit.

// Package configs is the service's typed configuration: gox's component
// configs plus the service's own. Defaults live in Default; config.yaml
// documents every key.
package configs

import (
	"fmt"
	"time"

	"github.com/goxkit/gox/cache"
	kafka "github.com/goxkit/gox/contrib/broker/kafka"
	xgorm "github.com/goxkit/gox/contrib/database/gorm"
	"github.com/goxkit/gox/event"
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
	Queue    Queue         `yaml:"queue"`
	Event    Event         `yaml:"event"`
}

// Event configures the event bus: the POST /event route and `event listen`.
type Event struct {
	// Unknown is what happens to an event nobody listens to: ack (log it and
	// acknowledge) or reject (HTTP 404; dead letter on the queue).
	Unknown string `yaml:"unknown"`
	// Topic is the queue topic `event listen` consumes and the broker sender publishes to.
	Topic string `yaml:"topic"`
	// Group is the consumer group of `event listen` (default: the app's name).
	Group string `yaml:"group"`
	// Retry and Sleep: a failing listener's event comes back after Sleep
	// (doubling), up to Retry times, then goes to the dead letters.
	Retry int           `yaml:"retry"`
	Sleep time.Duration `yaml:"sleep"`
}

// UnknownPolicy is Unknown as the bus's policy.
func (e Event) UnknownPolicy() event.UnknownPolicy {
	if e.Unknown == "reject" {
		return event.UnknownReject
	}
	return event.UnknownAck
}

// Queue selects and tunes the message broker.
type Queue struct {
	// Driver is kafka.
	Driver string       `yaml:"driver"`
	Kafka  kafka.Config `yaml:"kafka"`
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
		Event: Event{Unknown: "ack", Topic: "events", Retry: 3, Sleep: time.Second},
		Log:   log.DefaultConfig(),
		Cache: Cache{Driver: "memory", Memory: cache.DefaultMemoryConfig()},
		Queue: Queue{Driver: "kafka", Kafka: kafka.DefaultConfig()},
	}
	db := xgorm.DefaultConfig()
	c.Database = xgorm.Configs{"default": db}
	c.Queue.Kafka.ClientID = "shop"
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
	if c.Event.Unknown != "ack" && c.Event.Unknown != "reject" {
		return fmt.Errorf("event.unknown %q is not one of ack, reject", c.Event.Unknown)
	}
	if err := c.Database.Validate(); err != nil {
		return err
	}
	switch c.Cache.Driver {
	case "memory":
	default:
		return fmt.Errorf("cache.driver %q is not one of memory", c.Cache.Driver)
	}
	if c.Queue.Driver != "kafka" {
		return fmt.Errorf("queue.driver %q is not one of kafka (this service is built with the kafka backend; gctl new --queue picks another)", c.Queue.Driver)
	}
	if c.Event.Topic == "" {
		return fmt.Errorf("event.topic is empty")
	}
	if c.Event.Retry < 0 || c.Event.Sleep < 0 {
		return fmt.Errorf("event.retry and event.sleep must not be negative")
	}
	return nil
}
