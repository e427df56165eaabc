package goxtest

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// FreePort returns a TCP port free on 127.0.0.1 a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreePorts returns n distinct ports free on 127.0.0.1 for TCP and UDP,
// none of them in avoid: all n are held open while they are chosen, so a server taking
// several (HTTP, peer, gossip ...) never gets the same one twice.
func FreePorts(t testing.TB, n int, avoid ...int) []int {
	t.Helper()
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var out []int
	for len(out) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		p := l.Addr().(*net.TCPAddr).Port
		if slices.Contains(avoid, p) {
			continue
		}
		// gossip ports (serf, memberlist) take UDP too
		u, err := net.ListenPacket("udp", l.Addr().String())
		if err != nil {
			continue
		}
		_ = u.Close()
		out = append(out, p)
	}
	return out
}

// TCPOpen says whether something accepts connections on addr.
func TCPOpen(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		_ = c.Close()
	}
	return err == nil
}

// StartServer starts cmd (a server the test runs itself: nats-server,
// etcd, consul ...), waits up to within for ready, and returns a stop that
// sends SIGTERM and waits for the exit — a restart, not a crash. Stop runs
// at the end of the test too; calling it twice is fine. Unless the test set
// them, the server's stdout and stderr go to a file whose end the failure
// shows when the server is not ready in time.
func StartServer(t testing.TB, cmd *exec.Cmd, within time.Duration, ready func() bool) (stop func()) {
	t.Helper()
	var out *os.File
	if cmd.Stdout == nil && cmd.Stderr == nil {
		f, err := os.CreateTemp(t.TempDir(), "server-*.log")
		if err != nil {
			t.Fatal(err)
		}
		out, cmd.Stdout, cmd.Stderr = f, f, f
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
			if out != nil {
				_ = out.Close()
			}
		})
	}
	t.Cleanup(stop)
	for deadline := time.Now().Add(within); !ready(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			tail := ""
			if out != nil {
				b, _ := os.ReadFile(out.Name())
				tail = string(b[max(0, len(b)-2048):])
			}
			t.Fatalf("%s %v was not ready within %v; its output ends:\n%s", cmd.Path, cmd.Args[1:], within, tail)
		}
	}
	return stop
}

// LogBuffer is a bytes.Buffer safe for the concurrent writes of a logger:
// slog.New(slog.NewTextHandler(&buf, nil)), then buf.String().
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
