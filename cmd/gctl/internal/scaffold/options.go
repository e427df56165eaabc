// Package scaffold renders the embedded project templates of `gctl new` into a
// directory. It validates the options first, never overwrites a scaffolded
// file that exists, and when gctl runs from a gox source checkout it points
// the new go.mod at that checkout with replace lines.
package scaffold

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/mod/module"
)

// Kinds of project.
const (
	KindAPI = "api" // HTTP service on gin
	KindRPC = "rpc" // gRPC service, plus an HTTP port for probes and /metrics
)

// Options are the flags of `gctl new`.
type Options struct {
	Kind   string
	Name   string // module path; its last element names the directory and binary
	Err    string // error reporter
	Trace  string // tracing exporter
	Metric string // metrics backend
	DB     string
	Queue  string
	Cache  string
	// Registry is where the service registers and finds the services it
	// calls: memory (in the process), gossip (no server), consul, etcd or
	// dns (Kubernetes; discovery only).
	Registry string
}

// supported lists the values each component flag accepts today. Components
// that are not built yet are refused with this list, not half-generated.
var supported = map[string][]string{
	"err":      {"none"},
	"trace":    {"none", "otlp", "jaeger"},
	"metric":   {"none", "prom"},
	"db":       {"sqlite", "mysql", "postgres", "clickhouse", "none"},
	"queue":    {"database", "kafka", "rabbitmq", "nats", "none"},
	"cache":    {"memory", "redis", "none"},
	"registry": {"memory", "gossip", "consul", "etcd", "dns"},
}

// defaults are what a flag left out means: a service that needs no server.
var defaults = map[string]string{"err": "none", "trace": "none", "metric": "none", "db": "sqlite", "queue": "", "cache": "memory", "registry": "memory"} // queue: database when there is a database

// planned are values the seed names that later gox releases add.
var planned = map[string]string{
	"err": "sentry",
}

var baseName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]*$`)

// Validate checks o and fills defaults; its errors say what was wrong and what
// is accepted.
func (o *Options) Validate() error {
	if o.Kind != KindAPI && o.Kind != KindRPC {
		return fmt.Errorf("project kind %q is not one of api, rpc", o.Kind)
	}
	if o.Name == "" {
		return fmt.Errorf("--name is required: the module path of the new service, such as shop or github.com/acme/shop")
	}
	if err := module.CheckImportPath(o.Name); err != nil {
		return fmt.Errorf("--name %q is not a valid Go module path: %v", o.Name, err)
	}
	if b := path.Base(o.Name); !baseName.MatchString(b) || strings.ContainsAny(o.Name, " \\:") {
		return fmt.Errorf("--name %q is not valid: the last path element must start with a letter and hold only letters, digits, '-' and '_'", o.Name)
	}
	for flag, v := range map[string]*string{"err": &o.Err, "trace": &o.Trace, "metric": &o.Metric, "db": &o.DB, "queue": &o.Queue, "cache": &o.Cache, "registry": &o.Registry} {
		if *v == "" {
			*v = defaults[flag]
		}
		if flag == "queue" && *v == "" {
			continue // decided below, once --db is known
		}
		*v = strings.ToLower(*v)
		if !slices.Contains(supported[flag], *v) {
			msg := fmt.Sprintf("--%s %q is not supported yet; supported today: %s", flag, *v, strings.Join(supported[flag], ", "))
			if p := planned[flag]; p != "" {
				msg += " (planned: " + p + ")"
			}
			return fmt.Errorf("%s", msg)
		}
	}
	switch {
	case o.Queue == "" && o.DB != "none" && o.DB != "clickhouse":
		o.Queue = "database" // durable, on the service's own database: no server needed
	case o.Queue == "":
		o.Queue = "none"
	case o.Queue == "database" && (o.DB == "none" || o.DB == "clickhouse"):
		return fmt.Errorf("--queue database keeps messages in the service's database: it needs --db sqlite, mysql or postgres, not %s", o.DB)
	}
	if o.Trace == "jaeger" {
		o.Trace = "otlp" // Jaeger receives OTLP natively
	}
	return nil
}

// HasDB reports whether the project keeps state in a database.
func (o Options) HasDB() bool { return o.DB != "none" }

// HasCache reports whether the project has a cache.
func (o Options) HasCache() bool { return o.Cache != "none" }

// RegistryContrib reports whether the registry lives in its own contrib
// module (all but memory).
func (o Options) RegistryContrib() bool { return o.Registry != "memory" }

// HasQueue reports whether the project has a queue.
func (o Options) HasQueue() bool { return o.Queue != "none" }

// QueueEnv is the environment variable config.yaml reads the queue's
// server address from, and QueueAddr its default.
func (o Options) QueueEnv() string {
	return map[string]string{"kafka": "KAFKA_BROKERS", "rabbitmq": "AMQP_URL", "nats": "NATS_URL"}[o.Queue]
}

// QueueAddr is the queue server config.yaml points at by default.
func (o Options) QueueAddr() string {
	return map[string]string{"kafka": "127.0.0.1:9092", "rabbitmq": "amqp://guest:guest@127.0.0.1:5672/", "nats": "nats://127.0.0.1:4222"}[o.Queue]
}

// QueuePkg is the Go package name of the queue's backend.
func (o Options) QueuePkg() string {
	return map[string]string{"database": "dbbroker", "kafka": "kafka", "rabbitmq": "rabbitmq", "nats": "natsq"}[o.Queue]
}

// QueueField is the field of configs.Queue holding the backend's config.
func (o Options) QueueField() string {
	return map[string]string{"database": "Database", "kafka": "Kafka", "rabbitmq": "RabbitMQ", "nats": "NATS"}[o.Queue]
}

// HasData reports whether the project has internal/data (a database, a cache or a queue).
func (o Options) HasData() bool { return o.HasDB() || o.HasCache() || o.HasQueue() }

// DefaultDSN is the DSN config.yaml shows for the chosen database: a local
// server with the service's name as database.
func (o Options) DefaultDSN() string {
	switch o.DB {
	case "mysql":
		return "app:app@tcp(127.0.0.1:3306)/" + o.Base() + "?parseTime=true"
	case "postgres":
		return "postgres://app:app@127.0.0.1:5432/" + o.Base() + "?sslmode=disable"
	case "clickhouse":
		return "clickhouse://127.0.0.1:9000/default?read_timeout=10s"
	}
	return "data/app.db"
}

// Base is the last element of the module path: the directory and binary name.
func (o Options) Base() string { return path.Base(o.Name) }

// EnvPrefix is the prefix of the service's environment variables.
func (o Options) EnvPrefix() string {
	return strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(o.Base()))
}
