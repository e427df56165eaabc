package config_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/goxkit/gox/config"
)

// fuzzConfig has a field of every kind the loader walks itself (structs,
// pointers, inline structs, maps of structs, lists of structs) or hands to
// yaml (scalars, durations, lists, maps with other keys, text unmarshalers, any).
type fuzzConfig struct {
	App struct {
		Name           string        `yaml:"name"`
		Env            string        `yaml:"env"`
		RequestTimeout time.Duration `yaml:"request_timeout"`
	} `yaml:"app"`
	HTTP struct {
		Addr         string `yaml:"addr"`
		MaxBodyBytes int64  `yaml:"max_body_bytes"`
		TLS          *struct {
			CertFile string `yaml:"cert_file"`
			KeyFile  string `yaml:"key_file"`
		} `yaml:"tls"`
	} `yaml:"http"`
	Log struct {
		fuzzLog `yaml:",inline"`
		File    struct {
			MaxSizeMB uint16 `yaml:"max_size_mb"`
			Compress  bool   `yaml:"compress"`
		} `yaml:"file"`
	} `yaml:"log"`
	Database map[string]fuzzDB    `yaml:"database"`
	Peers    []fuzzPeer           `yaml:"peers"`
	Addrs    []string             `yaml:"addrs"`
	Headers  map[string]string    `yaml:"headers"`
	Weights  map[int]float64      `yaml:"weights"`
	IP       net.IP               `yaml:"ip"`
	Ratio    float64              `yaml:"ratio"`
	Extra    any                  `yaml:"extra"`
	Limits   map[string]*fuzzPeer `yaml:"limits"`
}

type fuzzLog struct {
	Level string `yaml:"level"`
}

type fuzzDB struct {
	Driver      string        `yaml:"driver"`
	DSN         string        `yaml:"dsn"`
	MaxOpen     int           `yaml:"max_open_conns"`
	MaxLifetime time.Duration `yaml:"conn_max_lifetime"`
}

type fuzzPeer struct {
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
}

func fuzzDefaults() fuzzConfig {
	var c fuzzConfig
	c.App.Name, c.App.RequestTimeout = "shop", 10*time.Second
	c.HTTP.Addr = ":8080"
	c.Log.Level = "info"
	c.Database = map[string]fuzzDB{"default": {Driver: "sqlite", DSN: "file:app.db", MaxLifetime: time.Minute}}
	return c
}

var fuzzSeeds = []string{
	// as gctl writes it
	`app:
  name: shop
  env: development          # development | production
  request_timeout: 10s
http:
  addr: ":8080"
  max_body_bytes: 4194304
  tls:
    cert_file: ""
    key_file: ""
log:
  level: info
  file:
    max_size_mb: 100
    compress: true
database:
  default:
    driver: sqlite
    dsn: ${GOX_FUZZ_DSN:-file:app.db?_pragma=busy_timeout(5000)}
    conn_max_lifetime: 30m
addrs: ["${REDIS_ADDR:-127.0.0.1:6379}"]
headers: {}
`,
	// anchors and merges
	`database:
  default: &db {driver: postgres, dsn: "postgres://a", max_open_conns: 20}
  reports:
    <<: *db
    dsn: postgres://b
  audit: {<<: [*db, {driver: mysql}], max_open_conns: "7"}
peers: [{host: a, port: 1}, &p {host: b, port: 2}, *p]
limits: {x: *p, y: null}
weights: {1: 0.5, 2: .inf}
ip: 10.0.0.1
extra: {a: [1, 2, {b: c}], <<: {d: e}}
`,
	// edge: empty, null, flow, quoted numbers, documents
	"", "~\n", "{}\n", "app: {}\nhttp:\n", `http: {max_body_bytes: "1024"}` + "\n", "---\napp: {name: a}\n---\napp: {name: b}\n",
	"log:\n  level: !!binary aW5mbw==\n", "ratio: .nan\napp:\n  request_timeout: 1h2m3.5s\n",
	// hostile: cycles, alias floods, wrong kinds, bad merges, deep nesting
	"app: &a\n  <<: *a\n",
	"a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nextra: [*c, *c, *c]\n",
	"database:\n  a: &a {driver: x}\n  b: &b {<<: [*a, *a, *a]}\n  c: &c {<<: [*b, *b, *b]}\n  d: {<<: [*c, *c, *c]}\n",
	"app:\n  <<: 1\n", "app:\n  <<: [*x]\n", "http: [1, 2]\n", "peers: {a: b}\n", "log:\n  file: {max_size_mb: 70000}\n",
	"extra: " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n",
	"app: {name: ${GOX_FUZZ_NOT_SET}}\n", "app: {name: ${GOX_FUZZ_EMPTY:-${X}}\n", "? [a]\n: b\n", "app:\n\tname: tab\n",
	"headers: {\"<<\": x, a: &h y}\nlimits: {<<: {x: {port: 1}}}\n",
}

// FuzzLoad loads arbitrary YAML: it must not panic; a refused file gets an
// error naming the file (and, from gox, a line); an accepted one leaves a
// config that, written out as YAML and loaded again, is the same.
func FuzzLoad(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	path := filepath.Join(f.TempDir(), "config.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c := fuzzDefaults()
		err := config.Load(&c, config.WithFile(path), config.WithNoEnv())
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			var ke *config.KeyError
			if errors.As(err, &ke) && ke.Line <= 0 {
				t.Fatalf("error %q names no line", err)
			}
			if !bytes.Equal(marshal(t, c), marshal(t, fuzzDefaults())) {
				t.Fatalf("a refused file changed the config: %s", marshal(t, c))
			}
			return
		}
		out := marshal(t, c)
		if bytes.Contains(out, []byte("${")) {
			return // written out, a value holding ${ would be expanded again
		}
		if err := os.WriteFile(path, out, 0o600); err != nil {
			t.Fatal(err)
		}
		again := fuzzDefaults()
		if err := config.Load(&again, config.WithFile(path), config.WithNoEnv()); err != nil {
			t.Fatalf("the accepted config written out is refused: %v\n%s", err, out)
		}
		if out2 := marshal(t, again); !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the config:\n%s\n---\n%s", out, out2)
		}
	})
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %+v: %v", v, err)
	}
	return out
}

// FuzzEnv decodes arbitrary environment values into typed fields: no panic;
// a refused value's error names its variable; a string is taken verbatim, a
// duration is what time.ParseDuration reads.
func FuzzEnv(f *testing.F) {
	for _, s := range [][4]string{
		{"shop", "15s", "[a:1, b:2]", "4194304"},
		{"", "0", "[]", "0x10"},
		{"null", "1h2m", "a, b", "1_000"},
		{"~", "-5s", "[[", "9223372036854775808"},
		{"${HOME}", "soon", "{a: b}", "\"12\""},
		{"'quoted'", "1.5", "- a\n- b", "many"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, name, timeout, addrs, maxBody string) {
		if strings.ContainsRune(name+timeout+addrs+maxBody, 0) {
			return // not representable in the environment
		}
		t.Setenv("GOXFUZZ_APP_NAME", name)
		t.Setenv("GOXFUZZ_APP_REQUEST_TIMEOUT", timeout)
		t.Setenv("GOXFUZZ_ADDRS", addrs)
		t.Setenv("GOXFUZZ_HTTP_MAX_BODY_BYTES", maxBody)
		c := fuzzDefaults()
		err := config.Load(&c, config.WithEnvPrefix("goxfuzz"))
		if err != nil {
			var ke *config.KeyError
			if !errors.As(err, &ke) || !strings.HasPrefix(ke.Env, "GOXFUZZ_") || !strings.Contains(err.Error(), ke.Env) {
				t.Fatalf("error %q does not name the variable", err)
			}
			return
		}
		if c.App.Name != name {
			t.Fatalf("GOXFUZZ_APP_NAME=%q gave name %q", name, c.App.Name)
		}
		switch timeout {
		case "", "~", "null", "Null", "NULL": // as "key:" in the file: the default stays
			if c.App.RequestTimeout != fuzzDefaults().App.RequestTimeout {
				t.Fatalf("GOXFUZZ_APP_REQUEST_TIMEOUT=%q changed the default to %v", timeout, c.App.RequestTimeout)
			}
		default:
			if d, perr := time.ParseDuration(timeout); perr != nil || d != c.App.RequestTimeout {
				t.Fatalf("GOXFUZZ_APP_REQUEST_TIMEOUT=%q gave %v (ParseDuration: %v, %v)", timeout, c.App.RequestTimeout, d, perr)
			}
		}
	})
}
