// Package scaffold renders the embedded project templates of `gctl new` into a
// directory. It validates the options first, never overwrites a scaffolded
// file that exists, and when gctl runs from a gox source checkout it points
// the new go.mod at that checkout with replace lines.
package scaffold

import (
	"fmt"
	"path"
	"path/filepath"
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
	Auth   string // authentication of callers: none or jwt
	Trace  string // tracing exporter
	Metric string // metrics backend
	DB     string
	Queue  string
	Cache  string
	// Registry is where the service registers and finds the services it
	// calls: memory (in the process), gossip (no server), consul, etcd or
	// dns (Kubernetes; discovery only).
	Registry string
	// RemoteConfig is the store more configuration is read from, under
	// config.yaml and the environment, and watched: none, consul or etcd.
	RemoteConfig string
	// Storage is where uploaded files are kept: none, local (a directory)
	// or s3 (an S3-compatible server).
	Storage string
	// Jaeger is set by Validate for --trace jaeger: Trace is otlp, and the
	// service exports to a local Jaeger (localhost:4317) unless configured
	// otherwise, instead of waiting for TRACE_EXPORTER.
	Jaeger bool
}

// supported lists the values each component flag accepts today. Components
// that are not built yet are refused with this list, not half-generated.
var supported = map[string][]string{
	"err":           {"none", "sentry", "email"},
	"auth":          {"none", "jwt"},
	"trace":         {"none", "otlp", "jaeger"},
	"metric":        {"none", "prom"},
	"db":            {"sqlite", "mysql", "postgres", "clickhouse", "none"},
	"queue":         {"database", "memory", "kafka", "rabbitmq", "nats", "none"},
	"cache":         {"memory", "redis", "none"},
	"registry":      {"memory", "gossip", "consul", "etcd", "dns"},
	"remote-config": {"none", "consul", "etcd"},
	"storage":       {"none", "local", "s3"},
}

// Aliases are the other names a value is accepted under (the names gox's
// first design used): flag → alias → value.
var Aliases = map[string]map[string]string{
	"db":     {"postgre": "postgres", "postgresql": "postgres"},
	"cache":  {"sync": "memory"},  // an in-process map
	"queue":  {"local": "memory"}, // in-process, not durable
	"metric": {"prometheus": "prom"},
}

// defaults are what a flag left out means: a service that needs no server.
var defaults = map[string]string{"err": "none", "auth": "none", "trace": "none", "metric": "none", "db": "sqlite", "queue": "", "cache": "memory", "registry": "memory", "remote-config": "none", "storage": "none"} // queue: database when there is a database

// planned are values gctl does not accept yet but a later gox release adds;
// the error for one says so.
var planned = map[string]string{}

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
	if err := checkName(o.Name); err != nil {
		return fmt.Errorf("--name %q is not %w", o.Name, err)
	}
	for flag, v := range map[string]*string{"err": &o.Err, "auth": &o.Auth, "trace": &o.Trace, "metric": &o.Metric, "db": &o.DB, "queue": &o.Queue, "cache": &o.Cache, "registry": &o.Registry, "remote-config": &o.RemoteConfig, "storage": &o.Storage} {
		if *v == "" {
			*v = defaults[flag]
		}
		if flag == "queue" && *v == "" {
			continue // decided below, once --db is known
		}
		*v = strings.ToLower(*v)
		if canonical, ok := Aliases[flag][*v]; ok {
			*v = canonical
		}
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
		o.Trace, o.Jaeger = "otlp", true // Jaeger receives OTLP natively
	}
	return nil
}

// checkName says why name cannot be a service's module path, or nil.
func checkName(name string) error {
	if err := module.CheckImportPath(name); err != nil {
		return fmt.Errorf("a valid Go module path: %v", err)
	}
	if b := path.Base(name); !baseName.MatchString(b) || strings.ContainsAny(name, " \\:") {
		return fmt.Errorf("valid: the last path element must start with a letter and hold only letters, digits, '-' and '_'")
	}
	return nil
}

// NameFromDir is the module path `gctl new` gives a service when --name is
// left out: the name of dir, the directory the project is written into. It
// is checked like --name; the error says what to do instead.
func NameFromDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("no --name given, and the directory %s has no name: %w", dir, err)
	}
	name := filepath.Base(abs)
	if name == string(filepath.Separator) || name == "." {
		return "", fmt.Errorf("no --name given, and the directory %s has no name to give the service; pass --name, such as --name shop", abs)
	}
	if err := checkName(name); err != nil {
		return "", fmt.Errorf("no --name given, and the directory's name %q is not %w; rename the directory or pass --name, such as --name shop or --name github.com/acme/shop", name, err)
	}
	return name, nil
}

// HasDB reports whether the project keeps state in a database.
func (o Options) HasDB() bool { return o.DB != "none" }

// HasErr reports whether the service sends its unexpected failures to an
// error reporter (--err sentry or email).
func (o Options) HasErr() bool { return o.Err != "none" && o.Err != "" }

// HasRemoteConfig reports whether the service reads configuration from a
// store (--remote-config consul or etcd) as well as config.yaml.
func (o Options) HasRemoteConfig() bool { return o.RemoteConfig != "none" && o.RemoteConfig != "" }

// HasCache reports whether the project has a cache.
func (o Options) HasCache() bool { return o.Cache != "none" }

// RegistryContrib reports whether the registry lives in its own contrib
// module (all but memory).
func (o Options) RegistryContrib() bool { return o.Registry != "memory" }

// HasQueue reports whether the project has a queue.
func (o Options) HasQueue() bool { return o.Queue != "none" }

// InProcessQueue reports whether the queue lives in the serving process
// (memory): serve runs its consumers, and nothing survives a restart.
func (o Options) InProcessQueue() bool { return o.Queue == "memory" }

// QueueContrib reports whether the queue's backend is a contrib module.
func (o Options) QueueContrib() bool { return o.HasQueue() && !o.InProcessQueue() }

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

// QueueModule is the directory of the queue's backend module under
// contrib/broker.
func (o Options) QueueModule() string {
	if o.Queue == "database" {
		return "dbbroker"
	}
	return o.Queue
}

// QueueField is the field of configs.Queue holding the backend's config.
func (o Options) QueueField() string {
	return map[string]string{"database": "Database", "kafka": "Kafka", "rabbitmq": "RabbitMQ", "nats": "NATS"}[o.Queue]
}

// HasData reports whether the project has internal/data (a database, a cache or a queue).
func (o Options) HasData() bool { return o.HasDB() || o.HasCache() || o.HasQueue() || o.HasStorage() }

// HasStorage reports whether the service keeps files (--storage local or s3):
// PUT and GET /v1/files/{key}.
func (o Options) HasStorage() bool { return o.Storage != "none" && o.Storage != "" }

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
