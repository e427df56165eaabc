package goxtest

import (
	"fmt"
	"net"
	"os/exec"
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
