package configtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/config"
	"github.com/goxkit/gox/goxtest"
)

// Options describe the store under test to Run.
type Options struct {
	// Store is the real store's host:port.
	Store string
	// New returns a source of key through the store at addr (host:port: a
	// Proxy in front of Store, or a closed port), closed when t ends.
	New func(t *testing.T, addr, key string) config.Source
	// Put writes value under key in the real store; Delete removes key.
	Put    func(t *testing.T, key, value string)
	Delete func(t *testing.T, key string)
	// Within bounds how long a change may take to reach the service
	// (default 5 s).
	Within time.Duration
}

// Service is the config the suite loads: a log level that reloads, an
// address that needs a restart, a name.
type Service struct {
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

// Run is the contract suite of a config.Source against a real store: the
// layers' order, a change applied by SourceWatcher, a broken document
// refused with the store and key named while the running config is kept,
// an unreachable store at start (failing, or falling back to the file), and
// an outage while running.
func Run(t *testing.T, o Options) {
	if o.Within == 0 {
		o.Within = 5 * time.Second
	}
	t.Run("Layers", func(t *testing.T) { layers(t, o) })
	t.Run("ChangeIsApplied", func(t *testing.T) { changeIsApplied(t, o) })
	t.Run("BrokenDocumentKeepsTheRunningConfig", func(t *testing.T) { brokenDocument(t, o) })
	t.Run("UnreachableAtStart", func(t *testing.T) { unreachableAtStart(t, o) })
	t.Run("OutageKeepsTheRunningConfig", func(t *testing.T) { outage(t, o) })
}

var keySeq struct {
	sync.Mutex
	n int
}

// Key returns a key no other test uses.
func Key(t *testing.T) string {
	keySeq.Lock()
	keySeq.n++
	n := keySeq.n
	keySeq.Unlock()
	return fmt.Sprintf("gox-test/%s-%d-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano(), n)
}

func defaults() Service {
	var s Service
	s.App.Name, s.HTTP.Addr, s.Log.Level = "default", ":8080", "info"
	return s
}

func file(t *testing.T, doc string) string {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func layers(t *testing.T, o Options) {
	key := Key(t)
	o.Put(t, key, "app: {name: remote}\nhttp: {addr: ':1'}\nlog: {level: debug}\n")
	src := o.New(t, o.Store, key)
	t.Setenv("GOXSUITE_HTTP_ADDR", ":2")
	got := defaults()
	err := config.Load(&got, config.WithSource(src), config.WithEnvPrefix("GOXSUITE"), config.WithFile(file(t, "log: {level: warn}\n")))
	if err != nil {
		t.Fatal(err)
	}
	// defaults < remote < environment < file
	if got.App.Name != "remote" || got.HTTP.Addr != ":2" || got.Log.Level != "warn" {
		t.Fatalf("got %+v; want app.name from %s, http.addr from the environment, log.level from the file", got, src)
	}
}

// running is a service's config behind its reload function, as a scaffolded
// service keeps it.
type running struct {
	mu   sync.Mutex
	cfg  Service
	errs []error
	load func(*Service) error
}

func (r *running) reload() {
	next := defaults()
	err := r.load(&next)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs = append(r.errs, err) // the running config stays
		return
	}
	r.cfg = next
}

func (r *running) level() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg.Log.Level
}

func (r *running) lastErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) == 0 {
		return nil
	}
	return r.errs[len(r.errs)-1]
}

// logs is a concurrency-safe slog destination.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// serve loads src and runs a SourceWatcher reloading it until the test ends.
func serve(t *testing.T, src config.Source) (*running, *logs) {
	r := &running{load: func(s *Service) error { return config.Load(s, config.WithSource(src), config.WithNoEnv()) }}
	r.cfg = defaults()
	if err := r.load(&r.cfg); err != nil {
		t.Fatal(err)
	}
	l := &logs{}
	w := config.NewSourceWatcher(src, r.reload, slog.New(slog.NewTextHandler(l, nil)))
	done := make(chan error, 1)
	go func() { done <- w.Start(context.Background()) }()
	t.Cleanup(func() {
		if err := w.Stop(context.Background()); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return r, l
}

func eventually(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func changeIsApplied(t *testing.T, o Options) {
	key := Key(t)
	o.Put(t, key, "log: {level: info}\n")
	r, _ := serve(t, o.New(t, o.Store, key))
	o.Put(t, key, "log: {level: debug}\n")
	eventually(t, o.Within, "log.level debug applied", func() bool { return r.level() == "debug" })
	o.Put(t, key, "{\"log\": {\"level\": \"error\"}}") // JSON is YAML too
	eventually(t, o.Within, "log.level error applied", func() bool { return r.level() == "error" })
}

func brokenDocument(t *testing.T, o Options) {
	key := Key(t)
	o.Put(t, key, "log: {level: debug}\n")
	src := o.New(t, o.Store, key)
	r, l := serve(t, src)
	for _, bad := range []struct{ doc, want string }{
		{"log: {level: [debug\n", "yaml:"},
		{"log:\n  levle: warn\n", `:2: key "log.levle": unknown key`},
	} {
		o.Put(t, key, bad.doc)
		eventually(t, o.Within, "the reload of "+bad.doc+" fails", func() bool {
			err := r.lastErr()
			return err != nil && strings.Contains(err.Error(), bad.want)
		})
		if err := r.lastErr(); !strings.Contains(err.Error(), src.String()) {
			t.Errorf("error %q does not name the store and key (%s)", err, src)
		}
		if got := r.level(); got != "debug" {
			t.Fatalf("log.level %q after a broken document; want the running debug", got)
		}
	}
	o.Delete(t, key)
	eventually(t, o.Within, "the deleted key logged", func() bool {
		return strings.Contains(l.String(), "config source unreadable; keeping the running config")
	})
	if got := r.level(); got != "debug" {
		t.Fatalf("log.level %q after the key was deleted; want the running debug", got)
	}
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func unreachableAtStart(t *testing.T, o Options) {
	src := o.New(t, closedAddr(t), Key(t))
	path := file(t, "log: {level: warn}\n")
	got := defaults()
	err := config.Load(&got, config.WithSource(src), config.WithFile(path), config.WithNoEnv())
	if !errors.Is(err, config.ErrUnreachable) || !strings.Contains(err.Error(), src.String()) {
		t.Fatalf("Load with %s unreachable: %v; want an error wrapping ErrUnreachable naming it", src, err)
	}
	if got != defaults() {
		t.Fatalf("a failed Load changed the config: %+v", got)
	}
	var warned error
	err = config.Load(&got, config.WithSource(src), config.WithFile(path), config.WithNoEnv(),
		config.WithSourceFallback(func(err error) { warned = err }))
	if err != nil || got.Log.Level != "warn" {
		t.Fatalf("with a fallback: %v, %+v; want the file's log.level warn", err, got)
	}
	if warned == nil || !strings.Contains(warned.Error(), src.String()) {
		t.Fatalf("with a fallback, warned %v; want the unreachable store named", warned)
	}
}

func outage(t *testing.T, o Options) {
	key := Key(t)
	o.Put(t, key, "log: {level: debug}\n")
	p := goxtest.NewProxy(t, o.Store)
	r, l := serve(t, o.New(t, p.Addr(), key))
	p.Down()
	eventually(t, 3*o.Within, "the outage logged", func() bool {
		return strings.Contains(l.String(), "keeping the running config")
	})
	if got := r.level(); got != "debug" {
		t.Fatalf("log.level %q during the outage; want the running debug", got)
	}
	o.Put(t, key, "log: {level: warn}\n") // changed while the service cannot see it
	p.Up()
	eventually(t, 5*o.Within, "the change made during the outage applied after it", func() bool { return r.level() == "warn" })
}
