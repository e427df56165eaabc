package deploy

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/modfile"
)

// DefaultGoVersion is the golang image tag of the build stage when go.mod
// has no go line.
const DefaultGoVersion = "1.26"

// ProjectFiles are the files that make a directory a gox project, as gctl
// new writes it.
var ProjectFiles = []string{"go.mod", "main.go", "config.yaml"}

// ErrNotProject is returned (wrapped) by Load outside a gox project.
var ErrNotProject = errors.New("not a gox project")

// Project is what the artifacts are rendered from.
type Project struct {
	Dir       string // the project root, absolute
	Module    string // module path, from go.mod
	Binary    string // the binary's name: the module path's last element
	GoVersion string // major.minor of go.mod's go line: the golang image tag
	HasGoSum  bool

	HTTPPort    int // from http.addr; always set
	GRPCPort    int // from grpc.addr; 0 when the service has no gRPC server
	MetricsPort int // from http.metrics.addr; 0 when metrics are served on the HTTP port
	// DataDir is the directory (relative to the working directory) a
	// SQLite database is kept in, "" when there is none: the image makes it
	// writable by the non-root user.
	DataDir string

	// Config is the rest of what config.yaml says that the Kubernetes
	// artifacts depend on (drain timing, drivers, ${VAR} names).
	Config Config
	// ConfigText is config.yaml as it is: the chart's ConfigMap.
	ConfigText string
	// Jobs are the queue jobs of internal/job (each runs as `queue <name>`),
	// sorted by name; empty without a queue.
	Jobs []Job

	// Warnings are things about the project that will break an image build
	// or a deployment, for the user to read; Load still succeeds.
	Warnings []string
}

// Ports are the ports the service listens on, HTTP first.
func (p *Project) Ports() []int {
	ports := []int{p.HTTPPort}
	for _, q := range []int{p.GRPCPort, p.MetricsPort} {
		if q != 0 && q != p.HTTPPort && !contains(ports, q) {
			ports = append(ports, q)
		}
	}
	return ports
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// FindRoot returns the gox project holding dir: the nearest directory at
// or above dir with a go.mod, which must also hold main.go and
// config.yaml. The error says what was looked for and where.
func FindRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("project directory %s: %w", dir, err)
	}
	root := ""
	for d := abs; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !fi.IsDir() {
			root = d
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if root == "" {
		return "", fmt.Errorf("%w: gctl deploy looks for %s in %s or a directory above it and found no go.mod; run it inside a project gctl new wrote",
			ErrNotProject, strings.Join(ProjectFiles, ", "), abs)
	}
	var missing []string
	for _, f := range ProjectFiles {
		if fi, err := os.Stat(filepath.Join(root, f)); err != nil || fi.IsDir() {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%w: gctl deploy looks for %s at the module root %s and %s missing there; run it inside a project gctl new wrote",
			ErrNotProject, strings.Join(ProjectFiles, ", "), root, isAre(missing))
	}
	return root, nil
}

func isAre(names []string) string {
	if len(names) == 1 {
		return names[0] + " is"
	}
	return strings.Join(names, " and ") + " are"
}

// Load reads the project at or above dir.
func Load(dir string) (*Project, error) {
	root, err := FindRoot(dir)
	if err != nil {
		return nil, err
	}
	p := &Project{Dir: root}
	if err := p.readGoMod(filepath.Join(root, "go.mod")); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "go.sum")); err == nil {
		p.HasGoSum = true
	}
	cfgFile := filepath.Join(root, "config.yaml")
	b, err := os.ReadFile(cfgFile)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfgFile, err)
	}
	p.HTTPPort, p.GRPCPort, p.MetricsPort, p.DataDir = c.HTTPPort, c.GRPCPort, c.MetricsPort, c.DataDir
	p.Config, p.ConfigText = c, string(b)
	if c.QueueDriver != "" && c.QueueDriver != "memory" {
		jobs, err := ParseJobs(filepath.Join(root, "internal", "job"))
		if err != nil {
			p.Warnings = append(p.Warnings, err.Error())
		}
		p.Jobs = jobs
	}
	if p.DataDir == "." {
		p.DataDir = ""
		p.Warnings = append(p.Warnings, "the SQLite database is a file in the working directory, which the image's non-root user cannot write: "+
			"give it a directory of its own in database.default.dsn (data/app.db) and run gctl deploy again")
	}
	return p, nil
}

func (p *Project) readGoMod(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	f, err := modfile.Parse(file, b, nil)
	if err != nil {
		return err
	}
	if f.Module == nil || f.Module.Mod.Path == "" {
		return fmt.Errorf("%s: no module line", file)
	}
	p.Module = f.Module.Mod.Path
	p.Binary = path.Base(p.Module)
	p.GoVersion = DefaultGoVersion
	if f.Go != nil {
		if parts := strings.SplitN(f.Go.Version, ".", 3); len(parts) >= 2 {
			p.GoVersion = parts[0] + "." + parts[1]
		}
	}
	var local []string
	for _, r := range f.Replace {
		if modfile.IsDirectoryPath(r.New.Path) && outside(p.Dir, r.New.Path) {
			local = append(local, r.Old.Path+" => "+r.New.Path)
		}
	}
	if len(local) > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf(
			"go.mod replaces modules with directories outside the Docker build context (the project root): %s; "+
				"docker build fails there until those modules are published (then drop the replace lines) or copied into the project",
			strings.Join(local, ", ")))
	}
	return nil
}

// outside reports whether the replacement directory rel (absolute or
// relative to root) lies outside root.
func outside(root, dir string) bool {
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	rel, err := filepath.Rel(root, dir)
	return err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Config is what the artifacts take from config.yaml.
type Config struct {
	HTTPPort, GRPCPort, MetricsPort int
	DataDir                         string

	AppName string // app.name
	// RequestTimeout, StopTimeout and StopDelay are app.request_timeout,
	// app.stop_timeout and app.stop_delay (gox's defaults when unset:
	// 10s, 30s, 0).
	RequestTimeout, StopTimeout, StopDelay time.Duration

	DBDriver          string // database.default.driver; "" without a database
	MigrationsOnStart bool   // migrations.on_start

	QueueDriver  string // queue.driver: database | memory | kafka | rabbitmq | nats; "" without a queue
	RabbitPrefix string // queue.rabbitmq.prefix (default gox): queue names start with it
	EventTopic   string // event.topic: what `event listen` consumes
	EventGroup   string // event.group, or app.name when empty

	RegistryDriver string // registry.driver
	GossipPort     int    // registry.gossip.port (default 7946)

	// EnvVars are the names of the ${VAR} references of config.yaml,
	// sorted: what a deployment sets from a Secret.
	EnvVars []string
	// RequiredEnv are the EnvVars referenced somewhere without a default
	// (${VAR}, not ${VAR:-x}), sorted: gox refuses to start while one is
	// unset, so a deployment must set them. OptionalEnv are the others.
	RequiredEnv, OptionalEnv []string

	// Metrics reports whether config.yaml has a top-level metrics section,
	// which gctl new --metric prom writes with the Prometheus handler: the
	// service serves /metrics.
	Metrics bool
}

// ParseConfig reads the ports (and a SQLite database's directory) from the
// text of a config.yaml. ${VAR:-default} in a value counts as its default,
// the value the image runs with unless the deployment sets VAR. A missing
// http.addr, or an address without a port, is an error naming the key.
func ParseConfig(data []byte) (Config, error) {
	var doc struct {
		HTTP *struct {
			Addr    *string `yaml:"addr"`
			Metrics struct {
				Addr string `yaml:"addr"`
			} `yaml:"metrics"`
		} `yaml:"http"`
		GRPC *struct {
			Addr *string `yaml:"addr"`
		} `yaml:"grpc"`
		Database map[string]struct {
			Driver string `yaml:"driver"`
			DSN    string `yaml:"dsn"`
		} `yaml:"database"`
		App        appSection `yaml:"app"`
		Migrations struct {
			OnStart *bool `yaml:"on_start"`
		} `yaml:"migrations"`
		Queue *struct {
			Driver   string `yaml:"driver"`
			RabbitMQ struct {
				Prefix string `yaml:"prefix"`
			} `yaml:"rabbitmq"`
		} `yaml:"queue"`
		Event struct {
			Topic string `yaml:"topic"`
			Group string `yaml:"group"`
		} `yaml:"event"`
		Registry struct {
			Driver string `yaml:"driver"`
			Gossip struct {
				Port *int `yaml:"port"`
			} `yaml:"gossip"`
		} `yaml:"registry"`
	}
	var c Config
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return c, fmt.Errorf("not valid YAML: %w", err)
	}
	if doc.HTTP == nil || doc.HTTP.Addr == nil || strings.TrimSpace(expand(*doc.HTTP.Addr)) == "" {
		return c, errors.New(`http.addr is not set; gctl deploy needs the HTTP port (the probes /healthz and /readyz are served there): set it, e.g. http.addr: ":8080"`)
	}
	var err error
	if c.HTTPPort, err = port("http.addr", *doc.HTTP.Addr); err != nil {
		return c, err
	}
	if doc.GRPC != nil {
		if doc.GRPC.Addr == nil {
			return c, errors.New(`grpc.addr is not set while a grpc section is: set it, e.g. grpc.addr: ":9090"`)
		}
		if c.GRPCPort, err = port("grpc.addr", *doc.GRPC.Addr); err != nil {
			return c, err
		}
	}
	if a := expand(doc.HTTP.Metrics.Addr); strings.TrimSpace(a) != "" {
		if c.MetricsPort, err = port("http.metrics.addr", a); err != nil {
			return c, err
		}
	}
	if db, ok := doc.Database["default"]; ok {
		c.DBDriver = expand(db.Driver)
		if c.DBDriver == "sqlite" {
			c.DataDir = sqliteDir(expand(db.DSN))
		}
	}
	if err := parseRest(&c, &doc.App, doc.Migrations.OnStart); err != nil {
		return c, err
	}
	if q := doc.Queue; q != nil {
		c.QueueDriver, c.RabbitPrefix = expand(q.Driver), expand(q.RabbitMQ.Prefix)
		if c.RabbitPrefix == "" {
			c.RabbitPrefix = "gox"
		}
		if !validName.MatchString(c.QueueDriver) {
			return c, fmt.Errorf("queue.driver %q is not a driver name (database, memory, kafka, rabbitmq, nats)", q.Driver)
		}
	}
	c.EventTopic, c.EventGroup = expand(doc.Event.Topic), expand(doc.Event.Group)
	if c.EventGroup == "" {
		c.EventGroup = c.AppName
	}
	c.RegistryDriver = expand(doc.Registry.Driver)
	c.GossipPort = 7946
	if gp := doc.Registry.Gossip.Port; gp != nil {
		if *gp < 1 || *gp > 65535 {
			return c, fmt.Errorf("registry.gossip.port %d: a pod needs a fixed port from 1 to 65535", *gp)
		}
		c.GossipPort = *gp
	}
	c.EnvVars, c.RequiredEnv = envVars(data)
	for _, v := range c.EnvVars {
		if !slices.Contains(c.RequiredEnv, v) {
			c.OptionalEnv = append(c.OptionalEnv, v)
		}
	}
	c.Metrics = hasTopKey(data, "metrics")
	return c, nil
}

// validName is what a driver or an app name must look like to be put into
// Kubernetes names and labels.
var validName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// appSection is config.yaml's app section.
type appSection struct {
	Name           string `yaml:"name"`
	RequestTimeout string `yaml:"request_timeout"`
	StopTimeout    string `yaml:"stop_timeout"`
	StopDelay      string `yaml:"stop_delay"`
}

func parseRest(c *Config, app *appSection, onStart *bool) error {
	c.AppName = expand(app.Name)
	if c.AppName != "" && !validName.MatchString(c.AppName) {
		return fmt.Errorf("app.name %q must be a DNS label (lower-case letters, digits and '-', at most 63): it names consumer groups and pods", app.Name)
	}
	for _, d := range []struct {
		key string
		val string
		def time.Duration
		out *time.Duration
	}{
		{"app.request_timeout", app.RequestTimeout, 10 * time.Second, &c.RequestTimeout},
		{"app.stop_timeout", app.StopTimeout, 30 * time.Second, &c.StopTimeout},
		{"app.stop_delay", app.StopDelay, 0, &c.StopDelay},
	} {
		*d.out = d.def
		v := strings.TrimSpace(expand(d.val))
		if v == "" {
			continue
		}
		n, err := time.ParseDuration(v)
		if err != nil || n < 0 || n > 24*time.Hour {
			return fmt.Errorf("%s %q is not a duration from 0 to 24h (e.g. 30s)", d.key, d.val)
		}
		*d.out = n
	}
	c.MigrationsOnStart = onStart != nil && *onStart
	return nil
}

// envVars are the names of the ${VAR} references in the values of data
// (not its comments), sorted, once each; required are those referenced
// at least once without a default (${VAR}), which gox's config loader
// refuses to leave unset.
func envVars(data []byte) (names, required []string) {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return nil, nil
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode {
			for _, m := range envRef.FindAllStringSubmatch(n.Value, -1) {
				if !slices.Contains(names, m[1]) {
					names = append(names, m[1])
				}
				if m[2] == "" && !slices.Contains(required, m[1]) {
					required = append(required, m[1])
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	slices.Sort(names)
	slices.Sort(required)
	return names, required
}

// hasTopKey reports whether the YAML mapping data has key at its top
// level, whatever its value (an empty section included).
func hasTopKey(data []byte, key string) bool {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return false
	}
	m := root.Content[0].Content
	for i := 0; i+1 < len(m); i += 2 {
		if m[i].Value == key {
			return true
		}
	}
	return false
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-([^}]*))?\}`)

// expand replaces ${VAR:-default} and ${VAR-default} with the default and
// ${VAR} with nothing, as the service does when VAR is unset.
func expand(s string) string {
	return envRef.ReplaceAllStringFunc(s, func(m string) string {
		return envRef.FindStringSubmatch(m)[3]
	})
}

func port(key, addr string) (int, error) {
	a := strings.TrimSpace(expand(addr))
	_, p, err := net.SplitHostPort(a)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not host:port (e.g. \":8080\"): %w", key, addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s %q: the port must be a number from 1 to 65535 (a container image exposes a fixed port)", key, addr)
	}
	return n, nil
}

// sqliteDir is the directory of a relative SQLite file DSN, "." for a
// file in the working directory, "" for memory or an absolute path.
func sqliteDir(dsn string) string {
	dsn = strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(dsn, '?'); i >= 0 {
		dsn = dsn[:i]
	}
	if dsn == "" || strings.Contains(dsn, ":memory:") || path.IsAbs(dsn) || strings.Contains(dsn, "..") {
		return ""
	}
	return path.Dir(path.Clean(dsn))
}
