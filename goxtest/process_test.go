package goxtest

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStartServerStopsIt(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	stop := StartServer(t, cmd, time.Second, func() bool { return true })
	start := time.Now()
	stop()
	stop() // twice is fine
	if cmd.ProcessState == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("stop did not end the process: %v", cmd.ProcessState)
	}
}

func TestFreePortAndTCPOpen(t *testing.T) {
	p := FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", p)
	if TCPOpen(addr) {
		t.Fatalf("%s is open before anything listens", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the free port %d cannot be listened on: %v", p, err)
	}
	defer l.Close()
	if !TCPOpen(addr) {
		t.Fatalf("%s is not open while listening", addr)
	}
}

func TestLogBufferConcurrentWrites(t *testing.T) {
	var b LogBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = b.Write([]byte("x"))
			}
		})
	}
	wg.Wait()
	if len(b.String()) != 800 {
		t.Fatalf("wrote %d bytes, want 800", len(b.String()))
	}
}

func TestFreePortsAreDistinct(t *testing.T) {
	avoid := FreePort(t)
	ports := FreePorts(t, 20, avoid)
	seen := map[int]bool{avoid: true}
	for _, p := range ports {
		if seen[p] {
			t.Fatalf("port %d twice (or the avoided one) in %v", p, ports)
		}
		seen[p] = true
	}
}

func TestStartServerShowsTheOutputWhenNotReady(t *testing.T) {
	ft := &fakeT{TB: t}
	func() {
		defer func() { _ = recover() }()
		StartServer(ft, exec.Command("sh", "-c", "echo listening failed: port in use; sleep 30"), 300*time.Millisecond, func() bool { return false })
	}()
	if !strings.Contains(ft.msg, "port in use") || !strings.Contains(ft.msg, "not ready within") {
		t.Fatalf("failure message: %q", ft.msg)
	}
}

// fakeT records Fatalf instead of ending the test.
type fakeT struct {
	testing.TB
	msg string
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic("fatal")
}
func (f *fakeT) Helper() {}
