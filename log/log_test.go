package log_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/goxkit/gox/log"
)

func TestJSONRecordCarriesRequestAndTraceIDs(t *testing.T) {
	var buf bytes.Buffer
	l, err := log.NewWriter(log.DefaultConfig(), true, &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	ctx = log.WithAttrs(ctx, slog.String("request_id", "req-1"))
	l.InfoContext(ctx, "handled", "route", "/ping")

	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not one JSON line: %v: %s", err, buf.String())
	}
	want := map[string]string{"msg": "handled", "route": "/ping", "request_id": "req-1",
		"trace_id": tid.String(), "span_id": sid.String(), "level": "info"}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %q", k, rec[k], v)
		}
	}
}

func TestConsoleInDevelopment(t *testing.T) {
	var buf bytes.Buffer
	l, _ := log.NewWriter(log.DefaultConfig(), false, &buf)
	l.Info("hello", "k", "v")
	if strings.HasPrefix(buf.String(), "{") || !strings.Contains(buf.String(), "hello") {
		t.Fatalf("not console output: %q", buf.String())
	}
}

func TestSetLevel(t *testing.T) {
	var buf bytes.Buffer
	l, _ := log.NewWriter(log.Config{Level: "warn", Format: "json"}, true, &buf)
	l.Info("hidden")
	if buf.Len() != 0 {
		t.Fatalf("info logged at warn level: %s", buf.String())
	}
	if err := l.SetLevel("debug"); err != nil {
		t.Fatal(err)
	}
	l.Debug("shown")
	if !strings.Contains(buf.String(), "shown") {
		t.Fatal("debug not logged after SetLevel(debug)")
	}
	if err := l.SetLevel("loud"); err == nil || !strings.Contains(err.Error(), `"loud"`) {
		t.Fatalf("bad level error = %v", err)
	}
}

func TestBadConfig(t *testing.T) {
	if _, err := log.New(log.Config{Level: "verbose"}, true); err == nil || !strings.Contains(err.Error(), "verbose") {
		t.Fatalf("err = %v", err)
	}
	if _, err := log.New(log.Config{Format: "xml"}, true); err == nil || !strings.Contains(err.Error(), "xml") {
		t.Fatalf("err = %v", err)
	}
}

func TestFileRotationWithCompression(t *testing.T) {
	dir := t.TempDir()
	c := log.DefaultConfig()
	c.Format = "json"
	c.File = log.FileConfig{Path: filepath.Join(dir, "app.log"), MaxSizeMB: 1, MaxBackups: 2, Compress: true}
	l, err := log.New(c, true)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 1000)
	for range 3000 { // ~3 MB: at least two rotations
		l.Info(line)
	}
	deadline := time.Now().Add(5 * time.Second)
	var gz []string
	for time.Now().Before(deadline) {
		// the mill compresses and prunes on a goroutine of its own, resting
		// between chunks: done when two backups are compressed and none is
		// left to compress
		gz, _ = filepath.Glob(filepath.Join(dir, "app-*.log.gz"))
		plain, _ := filepath.Glob(filepath.Join(dir, "app-*.log"))
		if len(gz) == 2 && len(plain) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if len(gz) != 2 {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("want 2 compressed backups (max_backups=2), dir has %v", entries)
	}
	if st, err := os.Stat(c.File.Path); err != nil || st.Size() > 1<<20 {
		t.Fatalf("active file: %v, %v", st, err)
	}
}

func TestBufferedFileFlushes(t *testing.T) {
	dir := t.TempDir()
	c := log.DefaultConfig()
	c.Format = "json"
	c.File.Path = filepath.Join(dir, "app.log")
	c.File.FlushInterval = 50 * time.Millisecond
	l, err := log.New(c, true)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("first")
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(c.File.Path); strings.Contains(string(b), "first") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if b, _ := os.ReadFile(c.File.Path); !strings.Contains(string(b), "first") {
		t.Fatal("a buffered line did not reach the file within the flush interval")
	}
	l.Info("last")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(c.File.Path); !strings.Contains(string(b), "last") {
		t.Fatal("Close did not flush the buffer")
	}
}

func TestGroupsAndAttrs(t *testing.T) {
	var buf bytes.Buffer
	l, _ := log.NewWriter(log.Config{Format: "json"}, true, &buf)
	l.With("svc", "shop").WithGroup("db").Info("slow query", "table", "users", slog.Group("q", "ms", 120), "err", os.ErrNotExist)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err, buf.String())
	}
	db, _ := rec["db"].(map[string]any)
	q, _ := db["q"].(map[string]any)
	if rec["svc"] != "shop" || db["table"] != "users" || q["ms"] != float64(120) || db["err"] != "file does not exist" {
		t.Fatalf("record %s", buf.String())
	}
	if c, _ := rec["caller"].(string); !strings.Contains(c, "log_test.go") {
		t.Fatalf("caller %v", rec["caller"])
	}
}

func TestCloseTwice(t *testing.T) {
	c := log.DefaultConfig()
	c.File.Path = filepath.Join(t.TempDir(), "app.log")
	l, err := log.New(c, true)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("once")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// A Node embedded in a caller's struct is a context like WithAttrs's: it
// inherits the parent's attributes, adds its own, and passes other lookups on.
func TestNodeEmbedded(t *testing.T) {
	type key struct{}
	type mine struct {
		log.Node
		extra int
	}
	parent := log.WithAttrs(context.WithValue(context.Background(), key{}, "v"), slog.String("a", "1"))
	m := &mine{extra: 7}
	m.Init(parent, slog.String("b", "2"))
	attrs := log.Attrs(m)
	if len(attrs) != 2 || attrs[0].Key != "a" || attrs[1].Key != "b" || m.Value(key{}) != "v" {
		t.Fatalf("attrs %v, value %v", attrs, m.Value(key{}))
	}
	if got := log.Attrs(parent); len(got) != 1 {
		t.Fatalf("the parent changed: %v", got)
	}
}

// A node's inherited attributes are found when first read; goroutines
// reading a new node at once all get the parent's followed by its own, and
// a caller appending to what it got changes no other reader's slice.
func TestAttrsReadConcurrently(t *testing.T) {
	grand := log.WithAttrs(context.Background(), slog.String("a", "1"))
	parent := log.WithAttrs(grand, slog.String("b", "2"), slog.String("c", "3"))
	for range 50 {
		child := log.WithAttrs(parent, slog.String("d", "4"))
		var wg sync.WaitGroup
		got := make([]string, 8)
		for i := range got {
			wg.Go(func() {
				attrs := log.Attrs(child)
				_ = append(attrs, slog.String("x", "mine"))
				var s strings.Builder
				for _, a := range attrs {
					s.WriteString(a.Key + "=" + a.Value.String() + " ")
				}
				got[i] = s.String()
			})
		}
		wg.Wait()
		for i, s := range got {
			if s != "a=1 b=2 c=3 d=4 " {
				t.Fatalf("reader %d: %q", i, s)
			}
		}
		if n := len(log.Attrs(parent)); n != 3 {
			t.Fatalf("the parent has %d attributes", n)
		}
	}
}
