package pyroscope

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// push is one request a Pyroscope server received.
type push struct {
	path, name, tenant, user, pass, header string
	profile                                []byte
}

// ingest is an in-test Pyroscope server: it keeps what is pushed to it.
func ingest(t *testing.T) (*httptest.Server, <-chan push) {
	ch := make(chan push, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := push{path: r.URL.Path, name: r.URL.Query().Get("name"), tenant: r.Header.Get("X-Scope-OrgID"), header: r.Header.Get("X-Team")}
		p.user, p.pass, _ = r.BasicAuth()
		if f, _, err := r.FormFile("profile"); err == nil {
			p.profile, _ = io.ReadAll(f)
			_ = f.Close()
		}
		select {
		case ch <- p:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

// The profiles arrive at the server's /ingest, named by the app name and
// the tags, with the credentials, each a gzipped pprof profile.
func TestProfilesArriveAtTheServer(t *testing.T) {
	srv, pushes := ingest(t)
	p, err := New(Config{ServerAddress: srv.URL, AppName: "gox-test-app", Tags: map[string]string{"env": "test"},
		UploadRate: 200 * time.Millisecond, ProfileTypes: []string{"cpu", "inuse_space", "goroutine"},
		Auth: Auth{Username: "u", Password: "secret", TenantID: "team-a", Headers: map[string]string{"X-Team": "a"}}},
		WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err == nil {
		t.Fatal("a second Start was taken")
	}
	var got push
	select {
	case got = <-pushes:
	case <-ctx.Done():
		_ = p.Stop(context.Background())
		t.Fatal("nothing was pushed within 10s")
	}
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got.path != "/ingest" || !strings.HasPrefix(got.name, "gox-test-app.") && !strings.HasPrefix(got.name, "gox-test-app{") {
		t.Fatalf("pushed to %s as %q, want /ingest as gox-test-app", got.path, got.name)
	}
	if !strings.Contains(got.name, "env=test") {
		t.Fatalf("name %q lacks the tag env=test", got.name)
	}
	if got.user != "u" || got.pass != "secret" || got.tenant != "team-a" || got.header != "a" {
		t.Fatalf("credentials %q/%q tenant %q header %q", got.user, got.pass, got.tenant, got.header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(got.profile))
	if err != nil {
		t.Fatalf("the profile is not gzipped pprof: %v", err)
	}
	if raw, err := io.ReadAll(zr); err != nil || len(raw) == 0 {
		t.Fatalf("the profile: %d bytes, %v", len(raw), err)
	}
	if err := p.Start(ctx); err == nil {
		t.Fatal("a stopped Profiler started again")
	}
}

// Stop waits for the last pushes only until its context ends.
func TestStopIsBoundedByItsContext(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	arrived := make(chan struct{}, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
	}))
	defer srv.Close()
	defer once.Do(func() { close(release) })
	p, err := New(Config{ServerAddress: srv.URL, AppName: "slow", UploadRate: 100 * time.Millisecond, ProfileTypes: []string{"cpu", "inuse_space"}},
		WithLogger(slog.New(slog.DiscardHandler)), WithHTTPClient(&http.Client{Timeout: 5 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	select { // a push hangs on the server
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing was pushed within 10s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = p.Stop(ctx)
	if err == nil || !strings.Contains(err.Error(), srv.URL) || time.Since(start) > 2*time.Second {
		t.Fatalf("Stop = %v after %s, want the deadline's error naming the server", err, time.Since(start))
	}
	once.Do(func() { close(release) })
	// The pushes end once the server answers; give them the time to.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && goroutinesOf("grafana/pyroscope-go") > 0 {
		time.Sleep(10 * time.Millisecond)
	}
}

// Without the CPU profile, Stop still returns (pyroscope-go's Flush would
// wait forever).
func TestStopWithoutCPU(t *testing.T) {
	srv, pushes := ingest(t)
	p, err := New(Config{ServerAddress: srv.URL, AppName: "heap-only", UploadRate: 100 * time.Millisecond, ProfileTypes: []string{"inuse_space"}},
		WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-pushes:
		if !strings.Contains(got.name, "heap-only") {
			t.Fatalf("pushed as %q", got.name)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing was pushed within 10s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestStopBeforeStart(t *testing.T) {
	p, err := New(Config{ServerAddress: "http://127.0.0.1:1", AppName: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	ok := Config{ServerAddress: "http://pyroscope:4040", AppName: "shop/orders-api", Tags: map[string]string{"env": "prod", "k8s.ns": "shop"}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key    string
		change func(*Config)
	}{
		{"pyroscope.server_address", func(c *Config) { c.ServerAddress = "" }},
		{"pyroscope.server_address", func(c *Config) { c.ServerAddress = "pyroscope:4040" }},
		{"pyroscope.server_address", func(c *Config) { c.ServerAddress = "ftp://pyroscope" }},
		{"pyroscope.server_address", func(c *Config) { c.ServerAddress = "http://u:p@pyroscope" }},
		{"pyroscope.app_name", func(c *Config) { c.AppName = "" }},
		{"pyroscope.app_name", func(c *Config) { c.AppName = "app{env=prod}" }},
		{"pyroscope.upload_rate", func(c *Config) { c.UploadRate = time.Millisecond }},
		{"pyroscope.auth.username", func(c *Config) { c.Auth.Username = "u" }},
		{"pyroscope.tags", func(c *Config) { c.Tags = map[string]string{"bad-name": "x"} }},
		{"pyroscope.tags", func(c *Config) { c.Tags = map[string]string{"__name__": "x"} }},
		{"pyroscope.auth.headers", func(c *Config) { c.Auth.Headers = map[string]string{"Bad Header": "x"} }},
		{"pyroscope.profile_types[1]", func(c *Config) { c.ProfileTypes = []string{"cpu", "threads"} }},
	} {
		t.Run(tc.key, func(t *testing.T) {
			c := ok
			tc.change(&c)
			err := c.Validate()
			if err == nil || !strings.HasPrefix(err.Error(), tc.key) {
				t.Fatalf("Validate = %v, want an error naming %s", err, tc.key)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("the error shows the password: %v", err)
			}
			if _, err := New(c); err == nil {
				t.Fatal("New took a config that Validate refuses")
			}
		})
	}
}
