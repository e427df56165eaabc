package nats_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	gnats "github.com/goxkit/gox/contrib/broker/nats"
	"github.com/goxkit/gox/goxtest"
)

// natsServer runs a private nats-server with JetStream on port, storing in
// dir, and returns a function that stops it (SIGTERM: a restart, not a
// crash) and waits for it to exit.
func natsServer(t *testing.T, port int, dir string) (stop func()) {
	t.Helper()
	bin := goxtest.RequireBinary(t, "nats-server", "apt-get install nats-server")
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", fmt.Sprint(port), "-js", "-sd", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		})
	}
	t.Cleanup(stop)
	goxtest.Eventually(t, 10*time.Second, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	})
	return stop
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestServerRestartUnderLoad restarts the server while a producer publishes
// and a consumer consumes. Publishes during the outage fail with an error
// (the producer retries them with the same id, which the stream
// deduplicates); both sides reconnect on their own; every message whose
// publish was acknowledged is consumed.
func TestServerRestartUnderLoad(t *testing.T) {
	port, dir := freePort(t), t.TempDir()
	stop := natsServer(t, port, dir)
	c := gnats.DefaultConfig()
	c.URL = fmt.Sprintf("nats://127.0.0.1:%d", port)
	c.PublishTimeout, c.Visibility, c.ReconnectWait = time.Second, 2*time.Second, 100*time.Millisecond
	pub, sub := newBroker(t, c), newBroker(t, c)
	ctx := context.Background()

	var mu sync.Mutex
	consumed := map[string]bool{}
	cons, _ := broker.NewConsumer(sub, "payments", func(_ context.Context, m *broker.Message) error {
		mu.Lock()
		consumed[m.ID] = true
		mu.Unlock()
		return nil
	}, broker.ConsumerOptions{Group: "billing", Concurrency: 4, Logger: quiet()})
	go func() { _ = cons.Start(ctx) }()
	defer cons.Stop(ctx)

	const total = 600
	var acked, failures atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range total {
			id := fmt.Sprintf("pay-%d", i)
			for {
				err := pub.Publish(ctx, "payments", &broker.Message{ID: id, Body: []byte(id)})
				if err == nil {
					acked.Add(1)
					break
				}
				failures.Add(1)
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	goxtest.Eventually(t, 20*time.Second, func() bool { return acked.Load() >= total/3 })
	stop() // the server goes away mid-run ...
	time.Sleep(time.Second)
	natsServer(t, port, dir) // ... and comes back with its store
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the producer did not recover: %d of %d published", acked.Load(), total)
	}
	if failures.Load() == 0 {
		t.Fatal("no publish failed while the server was down; the outage did not happen")
	}
	goxtest.Eventually(t, 30*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(consumed) == total })
	mu.Lock()
	defer mu.Unlock()
	var missing []string
	for i := range total {
		if id := fmt.Sprintf("pay-%d", i); !consumed[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d acknowledged messages never consumed: %s", len(missing), strings.Join(missing, ","))
	}
	t.Logf("%d published (%d failed attempts during the outage), %d consumed", acked.Load(), failures.Load(), len(consumed))
}

// Bad input and an unreachable server get clear errors.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	c := gnats.DefaultConfig()
	c.URL = fmt.Sprintf("nats://127.0.0.1:%d", freePort(t))
	c.DialTimeout = 500 * time.Millisecond
	if _, err := gnats.New(ctx, c); err == nil || !strings.Contains(err.Error(), "nats: server "+c.URL+" unreachable") {
		t.Fatalf("New with no server: %v", err)
	}
	// a server without JetStream
	port := freePort(t)
	cmd := exec.Command(goxtest.RequireBinary(t, "nats-server", "apt-get install nats-server"), "-a", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	c.URL = fmt.Sprintf("nats://127.0.0.1:%d", port)
	goxtest.Eventually(t, 10*time.Second, func() bool {
		_, err := gnats.New(ctx, c)
		return err != nil && strings.Contains(err.Error(), "JetStream at "+c.URL+" does not answer (is the server started with -js?)")
	})

	c = config(t)
	c.MaxBytes = 10
	b := newBroker(t, c)
	if err := b.Publish(ctx, "t", &broker.Message{ID: "big", Body: make([]byte, 11)}); err == nil || !strings.Contains(err.Error(), "message big is 11 bytes, over the limit of 10") {
		t.Fatalf("oversized: %v", err)
	}
	c.URL = ""
	if _, err := gnats.New(ctx, c); err == nil || !strings.Contains(err.Error(), "url is empty") {
		t.Fatalf("empty url: %v", err)
	}
}
