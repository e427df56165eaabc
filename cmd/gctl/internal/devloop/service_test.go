package devloop

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func recv(t *testing.T, ch <-chan string, what string) string {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second): // a hang guard, not a wait for time
		t.Fatalf("no %s", what)
		return ""
	}
}

func none(t *testing.T, ch <-chan string, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s: %s", what, v)
	default:
	}
}

func write(t *testing.T, dir, rel, text string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func project1(t *testing.T) string {
	dir := t.TempDir()
	write(t, dir, "main.go", "package main\n")
	write(t, dir, "config.yaml", "a: 1\n")
	return dir
}

// started runs the harness through its first, successful build.
func started(t *testing.T, dir string) (*harness, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	h := newHarness(ctx, dir, Options{Debounce: 200 * time.Millisecond})
	h.fail <- false
	recv(t, h.builds, "first build")
	recv(t, h.starts, "first start")
	return h, cancel
}

func stop(t *testing.T, h *harness, cancel context.CancelFunc) {
	t.Helper()
	cancel()
	if err := <-h.done; err != nil {
		t.Fatal(err)
	}
}

// A burst of saves gives one rebuild, once it has been quiet for the
// debounce interval, and the old process is stopped before the new starts.
func TestBurstRebuildsOnceAfterQuiet(t *testing.T) {
	dir := project1(t)
	h, cancel := started(t, dir)
	defer stop(t, h, cancel)

	write(t, dir, "main.go", "package main // edited\n")
	h.events <- "main.go"
	<-h.clock.armed
	h.clock.Advance(150 * time.Millisecond)
	write(t, dir, "internal/a.go", "package internal\n")
	h.events <- "internal/a.go"
	h.events <- "main.go~"                 // an editor's backup: ignored
	h.clock.Advance(50 * time.Millisecond) // the timer fires, but the burst went on
	if d := <-h.clock.armed; d != 150*time.Millisecond {
		t.Fatalf("re-armed for %s, want the rest of the quiet time, 150ms", d)
	}
	none(t, h.builds, "build before the burst was quiet")
	h.fail <- false
	h.clock.Advance(150 * time.Millisecond)
	bin := recv(t, h.builds, "rebuild")
	first := recv(t, h.stopped, "stop of the old process")
	if got := recv(t, h.starts, "restart"); got != bin || first == bin {
		t.Fatalf("started %s after stopping %s; built %s", got, first, bin)
	}
	none(t, h.builds, "second build")
	h.events <- "sync_test.go" // ignored; returns once the loop is done with the restart and its log line
	if out := h.out.String(); !strings.Contains(out, "svc | gctl: changed: internal/a.go, main.go\n") || !strings.Contains(out, "restarted") {
		t.Fatalf("log:\n%s", out)
	}
}

// config.yaml alone restarts nothing and says so.
func TestConfigOnlyIsNotARestart(t *testing.T) {
	dir := project1(t)
	h, cancel := started(t, dir)
	defer stop(t, h, cancel)
	write(t, dir, "config.yaml", "a: 2\n")
	h.events <- "config.yaml"
	<-h.clock.armed
	h.clock.Advance(200 * time.Millisecond)
	// the next burst proves the first was handled without a build
	write(t, dir, "README.md", "x")
	h.events <- "README.md"
	none(t, h.builds, "build")
	none(t, h.stopped, "stop")
	if out := h.out.String(); !strings.Contains(out, "config.yaml changed: not restarting; the running service's config watcher applies it") {
		t.Fatalf("log:\n%s", out)
	}
}

// A build error is shown and the last good process keeps serving; fixing
// it restarts.
func TestBuildErrorKeepsTheLastGoodProcess(t *testing.T) {
	dir := project1(t)
	h, cancel := started(t, dir)
	defer stop(t, h, cancel)
	write(t, dir, "main.go", "package main\nfunc (\n")
	h.events <- "main.go"
	<-h.clock.armed
	h.fail <- true
	h.clock.Advance(200 * time.Millisecond)
	recv(t, h.builds, "build")
	write(t, dir, "main.go", "package main\nfunc f() {}\n")
	h.events <- "main.go" // handled after the failed build: the old process was not stopped
	none(t, h.stopped, "stop after a failed build")
	out := h.out.String()
	if !strings.Contains(out, "svc | main.go:3:1: syntax error\n") || !strings.Contains(out, "build failed (go build: exit status 1); the last good build keeps serving") {
		t.Fatalf("log:\n%s", out)
	}
	<-h.clock.armed
	h.fail <- false
	h.clock.Advance(200 * time.Millisecond)
	recv(t, h.builds, "build of the fix")
	recv(t, h.stopped, "stop")
	recv(t, h.starts, "start")
}

// A project that does not build at start is watched until it does.
func TestNoBuildAtStartKeepsWatching(t *testing.T) {
	dir := project1(t)
	ctx, cancel := context.WithCancel(context.Background())
	h := newHarness(ctx, dir, Options{})
	defer stop(t, h, cancel)
	h.fail <- true
	recv(t, h.builds, "first build")
	h.events <- "main.go" // unchanged files, but nothing runs: build
	<-h.clock.armed
	if !strings.Contains(h.out.String(), "the project does not build (go build: exit status 1); watching for a fix") {
		t.Fatalf("log:\n%s", h.out.String())
	}
	h.fail <- false
	h.clock.Advance(DefaultDebounce)
	recv(t, h.builds, "build")
	recv(t, h.starts, "start")
}

// Files rewritten with what was built (gctl's own generated output, a
// touch of the same bytes) rebuild nothing.
func TestUnchangedFilesDoNotRebuild(t *testing.T) {
	dir := project1(t)
	h, cancel := started(t, dir)
	defer stop(t, h, cancel)
	h.events <- "main.go"
	<-h.clock.armed
	h.clock.Advance(200 * time.Millisecond)
	// events is unbuffered and a test file is ignored: this send returns
	// once the loop is back in its select, done with the burst above, so
	// the edit below cannot be read as part of it
	h.events <- "main_test.go"
	write(t, dir, "main.go", "package main // new\n")
	h.events <- "main.go" // the loop is past the first burst
	none(t, h.builds, "build of unchanged files")
	<-h.clock.armed
	h.fail <- false
	h.clock.Advance(200 * time.Millisecond)
	recv(t, h.builds, "build of the edit")
}
