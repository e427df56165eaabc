package nats_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/broker/brokertest"
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
	return goxtest.StartServer(t, cmd, 10*time.Second, func() bool { return goxtest.TCPOpen(fmt.Sprintf("127.0.0.1:%d", port)) })
}

// TestServerRestartUnderLoad restarts the server (SIGTERM, then again on
// its store) while a producer publishes and a consumer consumes: both
// reconnect on their own and every acknowledged message is consumed.
func TestServerRestartUnderLoad(t *testing.T) {
	port, dir := goxtest.FreePort(t), t.TempDir()
	stop := natsServer(t, port, dir)
	c := gnats.DefaultConfig()
	c.URL = fmt.Sprintf("nats://127.0.0.1:%d", port)
	c.PublishTimeout, c.Visibility, c.ReconnectWait = time.Second, 2*time.Second, 100*time.Millisecond
	brokertest.RunOutage(t, newBroker(t, c), newBroker(t, c), 600, func() {
		stop()
		time.Sleep(time.Second)
		natsServer(t, port, dir)
	})
}

// Bad input and an unreachable server get clear errors.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	c := gnats.DefaultConfig()
	c.URL = fmt.Sprintf("nats://127.0.0.1:%d", goxtest.FreePort(t))
	c.DialTimeout = 500 * time.Millisecond
	if _, err := gnats.Open(ctx, c); err == nil || !strings.Contains(err.Error(), "nats: server "+c.URL+" unreachable") {
		t.Fatalf("Open with no server: %v", err)
	}
	// a server without JetStream
	port := goxtest.FreePort(t)
	cmd := exec.Command(goxtest.RequireBinary(t, "nats-server", "apt-get install nats-server"), "-a", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	c.URL = fmt.Sprintf("nats://127.0.0.1:%d", port)
	goxtest.Eventually(t, 10*time.Second, func() bool {
		_, err := gnats.Open(ctx, c)
		return err != nil && strings.Contains(err.Error(), "JetStream at "+c.URL+" does not answer (is the server started with -js?)")
	})

	c = config(t)
	c.MaxBytes = 10
	b := newBroker(t, c)
	if err := b.Publish(ctx, "t", &broker.Message{ID: "big", Body: make([]byte, 11)}); err == nil || !strings.Contains(err.Error(), "message big is 11 bytes, over the limit of 10") {
		t.Fatalf("oversized: %v", err)
	}
	c.URL = ""
	if _, err := gnats.Open(ctx, c); err == nil || !strings.Contains(err.Error(), "url is empty") {
		t.Fatalf("empty url: %v", err)
	}
}
