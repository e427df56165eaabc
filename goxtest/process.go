package goxtest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// FreePort returns a port free on 127.0.0.1 for TCP and UDP, below the
// kernel's ephemeral range (see FreePorts).
func FreePort(t testing.TB) int {
	t.Helper()
	return FreePorts(t, 1)[0]
}

// FreePorts returns n distinct ports free on 127.0.0.1 for TCP and UDP,
// none of them in avoid. They are held open while they are chosen, so a
// server taking several (HTTP, peer, gossip ...) never gets one twice, and
// they lie below the ephemeral range: a client that keeps dialling a port
// nothing listens on yet (a test of a server that is down at start) can
// otherwise connect to itself — its own source port — and hold the port
// the server then cannot bind.
func FreePorts(t testing.TB, n int, avoid ...int) []int {
	t.Helper()
	lo, hi := 20000, ephemeralLow()
	var held []io.Closer
	defer func() {
		for _, c := range held {
			_ = c.Close()
		}
	}()
	var out []int
	for tries := 0; len(out) < n; tries++ {
		if tries > 10000 {
			t.Fatalf("no free port between %d and %d", lo, hi)
		}
		p := lo + rand.IntN(hi-lo)
		if slices.Contains(avoid, p) || slices.Contains(out, p) {
			continue
		}
		addr := fmt.Sprintf("127.0.0.1:%d", p)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		held = append(held, l)
		u, err := net.ListenPacket("udp", addr) // gossip ports (serf, memberlist) take UDP too
		if err != nil {
			continue
		}
		held = append(held, u)
		out = append(out, p)
	}
	return out
}

// ephemeralLow is the first port of the kernel's ephemeral range (32768
// when it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	p, err := strconv.Atoi(f[0])
	if err != nil || p <= 21000 {
		return 32768
	}
	return p
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
