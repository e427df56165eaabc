package devloop

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary play a service: GOX_DEVLOOP_HELPER=graceful
// stops on SIGTERM saying so, =stubborn ignores it.
func TestMain(m *testing.M) {
	switch os.Getenv("GOX_DEVLOOP_HELPER") {
	case "graceful":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		fmt.Println("ready")
		<-ch
		fmt.Println("drained")
		os.Exit(0)
	case "stubborn":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		time.Sleep(time.Hour)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// readyWriter closes ready when the helper has said "ready".
type readyWriter struct {
	syncBuffer
	ready chan struct{}
}

func (w *readyWriter) Write(p []byte) (int, error) {
	n, err := w.syncBuffer.Write(p)
	if strings.Contains(w.String(), "ready\n") && w.ready != nil {
		close(w.ready)
		w.ready = nil
	}
	return n, err
}

func helper(t *testing.T, mode string, clock Clock) (*process, *readyWriter) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	out := &readyWriter{ready: ready}
	p, err := startProcess(self, t.TempDir(), []string{"-test.run=^$"}, []string{"GOX_DEVLOOP_HELPER=" + mode}, out, out, clock)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-ready:
	case <-p.Done():
		t.Fatalf("the helper exited: %v\n%s", p.Err(), out.String())
	}
	return p, out
}

func TestStopIsGraceful(t *testing.T) {
	p, out := helper(t, "graceful", realClock{})
	if p.Stop(time.Minute) {
		t.Fatal("killed a process that stops on SIGTERM")
	}
	if p.Err() != nil || !strings.Contains(out.String(), "drained") {
		t.Fatalf("exit %v, output %q", p.Err(), out.String())
	}
}

func TestStopKillsAfterTheTimeout(t *testing.T) {
	clock := newFakeClock()
	p, _ := helper(t, "stubborn", clock)
	killed := make(chan bool)
	go func() { killed <- p.Stop(10 * time.Second) }()
	if d := <-clock.armed; d != 10*time.Second {
		t.Fatalf("waits %s, want the stop timeout", d)
	}
	select {
	case <-p.Done():
		t.Fatal("exited before the timeout")
	default:
	}
	clock.Advance(10 * time.Second)
	if !<-killed {
		t.Fatal("Stop says it did not kill")
	}
}

func TestRunRefusesWhatIsNotAProject(t *testing.T) {
	dir := t.TempDir()
	err := Run(context.Background(), []string{dir}, Options{Out: &syncBuffer{}})
	if err == nil || !strings.Contains(err.Error(), "no go.mod there") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("got %v", err)
	}
	write(t, dir, "go.mod", "module example.com/shop/v2\n")
	if err := Run(context.Background(), []string{dir}, Options{}); err == nil || !strings.Contains(err.Error(), "no main.go") {
		t.Fatalf("got %v", err)
	}
	if n := binaryName("example.com/shop/v2"); n != "shop" {
		t.Fatalf("binary name %s", n)
	}
	if got := unique([]string{"a", "b", "a"}); strings.Join(got, ",") != "a,b,a-2" {
		t.Fatalf("names %v", got)
	}
}

// The watcher reports edits, files in directories created after it
// started, and nothing under .git.
func TestWatchReportsNewDirectories(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.go", "package main\n")
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan string, 100)
	if err := watch(ctx, dir, ch, t.Logf); err != nil {
		t.Fatal(err)
	}
	write(t, dir, ".git/index", "x")
	write(t, dir, "internal/new/a.go", "package new\n")
	write(t, dir, "main.go", "package main // edited\n")
	seen := map[string]bool{}
	for !seen["main.go"] || !seen[filepath.Join("internal", "new", "a.go")] {
		select {
		case rel := <-ch:
			seen[rel] = true
			if strings.HasPrefix(rel, ".git") {
				t.Fatalf("reported %s", rel)
			}
		case <-time.After(10 * time.Second): // a hang guard
			t.Fatalf("saw only %v", seen)
		}
	}
}
