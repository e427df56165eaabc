package config_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/config"
)

type db struct {
	DSN     string `yaml:"dsn"`
	MaxOpen int    `yaml:"max_open"`
}

type appConfig struct {
	Name string `yaml:"name"`
	HTTP struct {
		Addr        string        `yaml:"addr"`
		ReadTimeout time.Duration `yaml:"read_timeout"`
		Debug       bool          `yaml:"debug"`
	} `yaml:"http"`
	Log struct {
		Level string `yaml:"level"`
	} `yaml:"log"`
	DB    map[string]db `yaml:"db"`
	Peers []string      `yaml:"peers"`
}

func defaults() appConfig {
	var c appConfig
	c.Name = "shop"
	c.HTTP.Addr = ":8080"
	c.HTTP.ReadTimeout = 5 * time.Second
	c.Log.Level = "info"
	c.DB = map[string]db{"default": {DSN: "file:app.db", MaxOpen: 10}}
	return c
}

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrecedenceFileOverEnvOverDefaults(t *testing.T) {
	t.Setenv("SHOP_HTTP_ADDR", ":7000")      // env only: wins over default
	t.Setenv("SHOP_LOG_LEVEL", "warn")       // env and file: file wins
	t.Setenv("SHOP_HTTP_READ_TIMEOUT", "2s") // env only
	t.Setenv("SHOP_PEERS", "[a:1, b:2]")     // lists through env
	p := write(t, "log:\n  level: debug\n")
	c := defaults()
	if err := config.Load(&c, config.WithFile(p), config.WithEnvPrefix("shop")); err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Addr != ":7000" || c.Log.Level != "debug" || c.HTTP.ReadTimeout != 2*time.Second || c.Name != "shop" ||
		len(c.Peers) != 2 || c.Peers[1] != "b:2" {
		t.Fatalf("got %+v", c)
	}
}

func TestExpansionAndMaps(t *testing.T) {
	t.Setenv("DB_HOST", "10.0.0.9")
	t.Setenv("PORT", "9000")
	p := write(t, `
http:
  addr: ":${PORT}"
  read_timeout: 250ms
db:
  default:
    max_open: ${MAX_OPEN:-20}
  reports:
    dsn: "postgres://${DB_HOST}/reports"
`)
	c := defaults()
	if err := config.Load(&c, config.WithFile(p), config.WithNoEnv()); err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Addr != ":9000" || c.HTTP.ReadTimeout != 250*time.Millisecond {
		t.Fatalf("http %+v", c.HTTP)
	}
	if c.DB["default"].DSN != "file:app.db" || c.DB["default"].MaxOpen != 20 {
		t.Fatalf("a partly set map entry lost its defaults: %+v", c.DB["default"])
	}
	if c.DB["reports"].DSN != "postgres://10.0.0.9/reports" {
		t.Fatalf("reports %+v", c.DB["reports"])
	}
}

func TestBadConfigNamesTheKey(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        map[string]string
		want       []string
	}{
		{"unknown key", "http:\n  adr: :80\n", nil, []string{`:2: key "http.adr": unknown key`, "addr, debug, read_timeout"}},
		{"half valid file", "name: other\ndb:\n  default:\n    max_open: 99\n  x:\n    dsn: d\nhttp:\n  adr: :80\n", nil, []string{`:8: key "http.adr"`}},
		{"unknown top key", "htp: {}\n", nil, []string{`key "htp": unknown key`}},
		{"wrong type", "http:\n  debug: yes please\n", nil, []string{`:2: key "http.debug": want true or false`}},
		{"bad duration", "http:\n  read_timeout: soon\n", nil, []string{`key "http.read_timeout": want a duration`}},
		{"int in map entry", "db:\n  x:\n    max_open: many\n", nil, []string{`:3: key "db.x.max_open": want an integer`}},
		{"section not a map", "http: 8080\n", nil, []string{`key "http": want a mapping of keys`}},
		{"unset variable", "name: ${NOT_SET_ANYWHERE}\n", nil, []string{":1:", "${NOT_SET_ANYWHERE} is not set"}},
		{"bad env value", "", map[string]string{"SHOP_HTTP_READ_TIMEOUT": "forever"}, []string{"environment SHOP_HTTP_READ_TIMEOUT", `key "http.read_timeout"`}},
		{"malformed yaml", "http: [\n", nil, []string{"config.yaml", "did not find expected"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			p := write(t, tt.yaml)
			c := defaults()
			before := c
			err := config.Load(&c, config.WithFile(p), config.WithEnvPrefix("SHOP"))
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not contain %q", err, w)
				}
			}
			if c.Name != before.Name || c.DB["default"].MaxOpen != 10 || len(c.DB) != 1 || c.HTTP != before.HTTP {
				t.Fatalf("a failed load changed values: %+v", c)
			}
		})
	}
	if err := config.Load(&appConfig{}, config.WithFile("/no/such/config.yaml")); err == nil || !strings.Contains(err.Error(), "/no/such/config.yaml") {
		t.Fatalf("missing file: %v", err)
	}
	if err := config.Load(appConfig{}); err == nil {
		t.Fatal("a non-pointer was accepted")
	}
}

type validated struct {
	Port int `yaml:"port"`
}

func (v *validated) Validate() error {
	if v.Port <= 0 {
		return errors.New("port must be positive")
	}
	return nil
}

func TestValidate(t *testing.T) {
	err := config.Load(&validated{}, config.WithFile(write(t, "port: -1\n")))
	if err == nil || !strings.Contains(err.Error(), "port must be positive") {
		t.Fatalf("err = %v", err)
	}
}

func watch(t *testing.T, path string) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	w := config.NewWatcher(path, func() { n.Add(1) }, nil)
	done := make(chan error, 1)
	go func() { done <- w.Start(context.Background()) }()
	t.Cleanup(func() {
		_ = w.Stop(context.Background())
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	time.Sleep(100 * time.Millisecond) // let it subscribe
	return &n
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal(what)
}

func TestWatcherSeesRewrite(t *testing.T) {
	p := write(t, "log:\n  level: info\n")
	n := watch(t, p)
	if err := os.WriteFile(p, []byte("log:\n  level: debug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "no callback after rewrite", func() bool { return n.Load() == 1 })
	// touching without a content change does not fire
	now := time.Now()
	_ = os.Chtimes(p, now, now)
	time.Sleep(300 * time.Millisecond)
	if n.Load() != 1 {
		t.Fatalf("callback fired %d times", n.Load())
	}
}

// TestWatcherSeesConfigMapSwap reproduces how the kubelet updates a ConfigMap
// volume: config.yaml -> ..data/config.yaml, ..data -> ..<timestamp>, and an
// update writes a new timestamp dir and renames a new ..data symlink over the old one.
func TestWatcherSeesConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	mk := func(ts, level string) {
		if err := os.MkdirAll(filepath.Join(dir, ts), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ts, "config.yaml"), []byte("log:\n  level: "+level+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("..2026_11_21_01", "info")
	must(t, os.Symlink("..2026_11_21_01", filepath.Join(dir, "..data")))
	must(t, os.Symlink("..data/config.yaml", filepath.Join(dir, "config.yaml")))
	path := filepath.Join(dir, "config.yaml")
	n := watch(t, path)

	mk("..2026_11_21_02", "debug")
	must(t, os.Symlink("..2026_11_21_02", filepath.Join(dir, "..data_tmp")))
	must(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	must(t, os.RemoveAll(filepath.Join(dir, "..2026_11_21_01")))

	eventually(t, "no callback after the ConfigMap swap", func() bool { return n.Load() == 1 })
	var c appConfig
	must(t, config.Load(&c, config.WithFile(path), config.WithNoEnv()))
	if c.Log.Level != "debug" {
		t.Fatalf("reloaded level %q", c.Log.Level)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestKeys(t *testing.T) {
	keys := config.Keys(defaults())
	want := []string{"db.default.dsn", "db.default.max_open", "http.addr", "http.debug", "http.read_timeout", "log.level", "name", "peers"}
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Fatalf("Keys = %v, want %v", keys, want)
	}
	p := write(t, "name: x\nhttp:\n  addr: :1\n  read_timeout: 1s\ndb: {}\n")
	got, err := config.FileKeys(p)
	if err != nil || strings.Join(got, " ") != "db http http.addr http.read_timeout name" {
		t.Fatalf("FileKeys = %v, %v", got, err)
	}
}

func TestDefaultAppliesToEmptyVariables(t *testing.T) {
	type cfg struct {
		A string `yaml:"a"`
		B string `yaml:"b"`
	}
	t.Setenv("GOX_EMPTY", "")
	var c cfg
	p := write(t, "a: ${GOX_EMPTY:-fallback}\nb: x${GOX_EMPTY}y\n")
	if err := config.Load(&c, config.WithFile(p), config.WithNoEnv()); err != nil || c.A != "fallback" || c.B != "xy" {
		t.Fatalf("%+v %v; want a=fallback (empty takes the default, as in the shell), b=xy", c, err)
	}
}

func TestEnvStringIsTakenAsIs(t *testing.T) {
	for _, v := range []string{"null", "~", "", "0x10", "true"} {
		t.Setenv("SHOP_NAME", v)
		c := defaults()
		err := config.Load(&c, config.WithEnvPrefix("shop"))
		if c.Name != v {
			t.Errorf("SHOP_NAME=%q gave name %q (%v)", v, c.Name, err)
		}
	}
	t.Setenv("SHOP_HTTP_READ_TIMEOUT", "") // as "key:" in the file: an empty non-string keeps its default
	c := defaults()
	if err := config.Load(&c, config.WithEnvPrefix("shop")); err != nil || c.HTTP.ReadTimeout != 5*time.Second {
		t.Fatalf("read_timeout %v, %v", c.HTTP.ReadTimeout, err)
	}
}

// logConfig is unexported and embedded inline: its exported fields are keys.
type logConfig struct {
	Level string `yaml:"level"`
}

func TestInlineUnexportedEmbedded(t *testing.T) {
	var c struct {
		logConfig `yaml:",inline"`
		Name      string `yaml:"name"`
	}
	if err := config.Load(&c, config.WithFile(write(t, "level: debug\nname: x\n")), config.WithNoEnv()); err != nil || c.Level != "debug" {
		t.Fatalf("%+v, %v", c, err)
	}
}
