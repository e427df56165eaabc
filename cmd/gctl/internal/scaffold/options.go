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
}

// supported lists the values each component flag accepts today. Components
// that are not built yet are refused with this list, not half-generated.
var supported = map[string][]string{
	"err":    {"none"},
	"trace":  {"none", "otlp", "jaeger"},
	"metric": {"none", "prom"},
	"db":     {"none"},
	"queue":  {"none"},
	"cache":  {"none"},
}

// planned are values the seed names that later gox releases add.
var planned = map[string]string{
	"err":   "sentry",
	"db":    "sqlite, mysql, postgres, clickhouse",
	"queue": "kafka, rabbitmq, nats, database",
	"cache": "redis, memory",
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
	for flag, v := range map[string]*string{"err": &o.Err, "trace": &o.Trace, "metric": &o.Metric, "db": &o.DB, "queue": &o.Queue, "cache": &o.Cache} {
		if *v == "" {
			*v = "none"
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
	if o.Trace == "jaeger" {
		o.Trace = "otlp" // Jaeger receives OTLP natively
	}
	return nil
}

// Base is the last element of the module path: the directory and binary name.
func (o Options) Base() string { return path.Base(o.Name) }

// EnvPrefix is the prefix of the service's environment variables.
func (o Options) EnvPrefix() string {
	return strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(o.Base()))
}
