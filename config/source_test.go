package config_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/config"
	"github.com/goxkit/gox/config/configtest"
)

type remoteConfig struct {
	App struct {
		Name string `yaml:"name"`
	} `yaml:"app"`
	HTTP struct {
		Addr string `yaml:"addr"`
	} `yaml:"http"`
	Log struct {
		Level string `yaml:"level"`
	} `yaml:"log"`
}

func TestSourceSitsBetweenDefaultsAndEnvironment(t *testing.T) {
	src := configtest.NewMemory(`memory key "shop"`, "app: {name: remote}\nhttp: {addr: ':1'}\nlog: {level: debug}\n")
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("log: {level: warn}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SRCT_HTTP_ADDR", ":2")
	var c remoteConfig
	c.App.Name, c.HTTP.Addr, c.Log.Level = "default", ":8080", "info"
	if err := config.Load(&c, config.WithSource(src), config.WithEnvPrefix("SRCT"), config.WithFile(path)); err != nil {
		t.Fatal(err)
	}
	if c.App.Name != "remote" || c.HTTP.Addr != ":2" || c.Log.Level != "warn" {
		t.Fatalf("got %+v; want name from the source, addr from the environment, level from the file", c)
	}
}

func TestLaterSourceWins(t *testing.T) {
	a := configtest.NewMemory("a", "app: {name: a}\nlog: {level: debug}\n")
	b := configtest.NewMemory("b", "log: {level: error}\n")
	var c remoteConfig
	if err := config.Load(&c, config.WithSource(a), config.WithSource(b), config.WithNoEnv()); err != nil {
		t.Fatal(err)
	}
	if c.App.Name != "a" || c.Log.Level != "error" {
		t.Fatalf("got %+v", c)
	}
}

func TestBadSourceDocumentNamesStoreAndKey(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"log: [", `config: consul key "gox/shop": yaml: `},
		{"log:\n  levle: x\n", `config: consul key "gox/shop":2: key "log.levle": unknown key; known keys here: level`},
		{"app:\n  name: ${NOPE_NOT_SET_X}\n", `config: consul key "gox/shop":2: key "app.name": ${NOPE_NOT_SET_X} is not set`},
		{"log: 3\n", `config: consul key "gox/shop":1: key "log": want a mapping of keys`},
	} {
		var c remoteConfig
		c.Log.Level = "info"
		err := config.Load(&c, config.WithSource(configtest.NewMemory(`consul key "gox/shop"`, tc.doc)), config.WithNoEnv())
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v; want prefix %s", tc.doc, err, tc.want)
		}
		var ke *config.KeyError
		if errors.As(err, &ke) && (ke.Source != `consul key "gox/shop"` || ke.File != "") {
			t.Errorf("%q: KeyError source %q file %q", tc.doc, ke.Source, ke.File)
		}
		if c.Log.Level != "info" {
			t.Errorf("%q: a failed load changed the config", tc.doc)
		}
	}
}

func TestUnreachableSourceFailsOrFallsBack(t *testing.T) {
	src := configtest.NewMemory(`etcd key "/gox/shop"`, "log: {level: debug}\n")
	src.SetUnreachable(true)
	var c remoteConfig
	err := config.Load(&c, config.WithSource(src), config.WithNoEnv())
	if !errors.Is(err, config.ErrUnreachable) || !strings.Contains(err.Error(), `etcd key "/gox/shop"`) {
		t.Fatalf("got %v", err)
	}
	var warned error
	if err := config.Load(&c, config.WithSource(src), config.WithNoEnv(), config.WithSourceFallback(func(e error) { warned = e })); err != nil {
		t.Fatal(err)
	}
	if warned == nil || !strings.Contains(warned.Error(), `etcd key "/gox/shop"`) {
		t.Fatalf("warned %v", warned)
	}
	src.SetUnreachable(false)
	src.Delete() // a missing key is a mistake, not an outage: no fallback
	err = config.Load(&c, config.WithSource(src), config.WithNoEnv(), config.WithSourceFallback(nil))
	if err == nil || errors.Is(err, config.ErrUnreachable) || !strings.Contains(err.Error(), "no such key") {
		t.Fatalf("got %v", err)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestSourceWatcherKeepsLastGoodAndRetries(t *testing.T) {
	src := configtest.NewMemory("memory", "log: {level: info}\n")
	var mu sync.Mutex
	var levels []string
	var errs []error
	reload := func() {
		var c remoteConfig
		err := config.Load(&c, config.WithSource(src), config.WithNoEnv())
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			return
		}
		levels = append(levels, c.Log.Level)
	}
	seen := func() string { mu.Lock(); defer mu.Unlock(); return strings.Join(levels, ",") }
	logs := &syncBuf{}
	w := config.NewSourceWatcher(src, reload, slog.New(slog.NewTextHandler(logs, nil)))
	delays := make(chan time.Duration, 16)
	fire := make(chan time.Time)
	config.SetAfter(w, func(d time.Duration) <-chan time.Time { delays <- d; return fire })
	done := make(chan error, 1)
	go func() { done <- w.Start(context.Background()) }()

	waitFor(t, func() bool { return seen() == "info" }) // the first read reloads once
	src.Set("log: {level: debug}\n")
	waitFor(t, func() bool { return seen() == "info,debug" })
	src.Set("log: [\n")
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(errs) == 1 })
	src.SetUnreachable(true)
	for _, want := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second} {
		if d := <-delays; d != want {
			t.Fatalf("retry after %v; want %v", d, want)
		}
		fire <- time.Time{}
	}
	src.Set("log: {level: warn}\n") // written during the outage
	src.SetUnreachable(false)
	waitFor(t, func() bool {
		select { // the watcher may be waiting for one more retry, or watching again already
		case <-delays:
			fire <- time.Time{}
		default:
		}
		return seen() == "info,debug,warn"
	})
	if !strings.Contains(logs.String(), "keeping the running config") {
		t.Errorf("outage not logged: %s", logs)
	}
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDiff(t *testing.T) {
	var a, b remoteConfig
	a.Log.Level, b.Log.Level = "info", "debug"
	a.HTTP.Addr, b.HTTP.Addr = ":1", ":1"
	b.App.Name = "x"
	if got := strings.Join(config.Diff(a, &b), ","); got != "" {
		t.Fatalf("different types: %q", got)
	}
	if got := strings.Join(config.Diff(a, b), ","); got != "app.name,log.level" {
		t.Fatalf("got %q", got)
	}
	if got := config.Diff(&a, &a); len(got) != 0 {
		t.Fatalf("got %q", got)
	}
}
