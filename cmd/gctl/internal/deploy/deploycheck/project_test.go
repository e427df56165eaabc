package deploycheck

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/goxkit/gox/cmd/gctl/internal/deploy"
	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

// root holds every project the tests scaffold; TestMain removes it.
var root string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "deploycheck-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	root = dir
	code := m.Run()
	stopBinary()
	os.RemoveAll(dir)
	os.Exit(code)
}

// variant is one kind of project gctl new writes; each is scaffolded and
// given its deploy/ once per test binary.
type variant struct {
	name string
	opts scaffold.Options
	// edit changes config.yaml before gctl deploy reads it.
	edit func(config string) string
}

var (
	// apiSQLite is the project the tests build and run: an HTTP service
	// on SQLite with the database queue, so it has `queue <job>` and
	// `event listen` consumers and a `db migrate` job. Its config.yaml
	// takes management.password from ${MANAGEMENT_PASSWORD} without a
	// default, so the Secret references are checked against something.
	apiSQLite = variant{name: "shop", opts: scaffold.Options{Kind: "api", DB: "sqlite", Queue: "database", Cache: "memory", Metric: "prom", Registry: "memory"},
		edit: func(c string) string {
			return strings.Replace(c, "password: ${MANAGEMENT_PASSWORD:-}", "password: ${MANAGEMENT_PASSWORD}", 1)
		}}
	// rpcKafkaGossip is a gRPC service on PostgreSQL with Kafka, found
	// through gossip: the StatefulSet variant.
	rpcKafkaGossip = variant{name: "ledger", opts: scaffold.Options{Kind: "rpc", DB: "postgres", Queue: "kafka", Cache: "none", Metric: "prom", Registry: "gossip"}}
	apiRabbit      = variant{name: "mailer", opts: scaffold.Options{Kind: "api", DB: "none", Queue: "rabbitmq", Cache: "none", Metric: "none", Registry: "dns"}}
	apiNATS        = variant{name: "notifier", opts: scaffold.Options{Kind: "api", DB: "none", Queue: "nats", Cache: "none", Metric: "prom", Registry: "etcd"}}
)

// project is a scaffolded project after gctl deploy ran in it.
type project struct {
	*deploy.Project
	dir      string // project root
	chartDir string // deploy/chart
	k8sDir   string // deploy/k8s
	config   string // config.yaml's text
}

var (
	projectsMu sync.Mutex
	projects   = map[string]*projectOnce{}
)

type projectOnce struct {
	once sync.Once
	p    *project
	err  error
}

// scaffolded returns v's project, scaffolding it and running gctl deploy's
// rendering in it the first time.
func scaffolded(t testing.TB, v variant) *project {
	t.Helper()
	projectsMu.Lock()
	po := projects[v.name]
	if po == nil {
		po = &projectOnce{}
		projects[v.name] = po
	}
	projectsMu.Unlock()
	po.once.Do(func() { po.p, po.err = newProject(v) })
	if po.err != nil {
		t.Fatalf("project %s: %v", v.name, po.err)
	}
	return po.p
}

func newProject(v variant) (*project, error) {
	source := scaffold.FindSource("")
	if source == "" {
		return nil, fmt.Errorf("the tests run inside the gox checkout but scaffold.FindSource found none")
	}
	dir := filepath.Join(root, v.name)
	o := v.opts
	o.Name = "example.com/" + v.name
	if _, err := scaffold.Render(o, dir, source, false); err != nil {
		return nil, fmt.Errorf("gctl new: %w", err)
	}
	cfgFile := filepath.Join(dir, "config.yaml")
	if v.edit != nil {
		b, err := os.ReadFile(cfgFile)
		if err != nil {
			return nil, err
		}
		edited := v.edit(string(b))
		if edited == string(b) {
			return nil, fmt.Errorf("the test's edit of config.yaml changed nothing: the scaffold's config.yaml changed")
		}
		if err := os.WriteFile(cfgFile, []byte(edited), 0o644); err != nil {
			return nil, err
		}
	}
	p, err := deploy.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("deploy.Load: %w", err)
	}
	files, err := deploy.Render(p)
	if err != nil {
		return nil, fmt.Errorf("deploy.Render: %w", err)
	}
	if _, err := deploy.Write(p.Dir, files); err != nil {
		return nil, fmt.Errorf("deploy.Write: %w", err)
	}
	cfg, err := os.ReadFile(cfgFile)
	if err != nil {
		return nil, err
	}
	return &project{Project: p, dir: dir, chartDir: filepath.Join(dir, "deploy", "chart"),
		k8sDir: filepath.Join(dir, "deploy", "k8s"), config: string(cfg)}, nil
}
