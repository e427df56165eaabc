package kafka_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/contrib/broker/kafka"
	"github.com/goxkit/gox/goxtest"
)

// TestSIGKILLMidHandler kills a consumer process with SIGKILL while its
// handler is inside the second message, after recording it. Its group's
// next member gets that message again — the offset was never committed past
// it — but not the first one, which was acknowledged and committed; the
// idempotent handler records each message exactly once.
func TestSIGKILLMidHandler(t *testing.T) {
	if os.Getenv("GOX_KAFKA_WORKER") != "" {
		return
	}
	dir := t.TempDir()
	brokers := cluster(t)
	b := newBroker(t, config(brokers))
	ctx := context.Background()
	for _, id := range []string{"pay-0", "pay-1"} {
		if err := b.Publish(ctx, "payments", &broker.Message{ID: id, Key: "customer-7", Body: []byte(id)}); err != nil {
			t.Fatal(err)
		}
	}
	worker := func(mode string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKafkaWorker$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GOX_KAFKA_WORKER="+mode, "GOX_KAFKA_BROKERS="+strings.Join(brokers, ","), "GOX_KAFKA_DIR="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := worker("hang")
	goxtest.Eventually(t, 20*time.Second, func() bool { return slices.Contains(lines(dir, "seen"), "hang_pay-1") })
	time.Sleep(500 * time.Millisecond) // pay-0's commit lands (every 50 ms)
	_ = first.Process.Kill()           // SIGKILL: no deferred code, no commit, no leave
	_ = first.Wait()

	second := worker("normal")
	defer func() { _ = second.Process.Kill(); _ = second.Wait() }()
	goxtest.Eventually(t, 20*time.Second, func() bool { return slices.Contains(lines(dir, "seen"), "normal_pay-1") })
	time.Sleep(500 * time.Millisecond)
	if seen := lines(dir, "seen"); slices.Contains(seen, "normal_pay-0") {
		t.Fatalf("deliveries %v: pay-0 was delivered again after it was acknowledged", seen)
	}
	if got := lines(dir, "processed"); strings.Join(got, ",") != "pay-0,pay-1" {
		t.Fatalf("processed %v; want pay-0 and pay-1 once each", got)
	}
}

func lines(dir, name string) []string {
	b, _ := os.ReadFile(filepath.Join(dir, name))
	return strings.Fields(strings.TrimSpace(string(b)))
}

func appendLine(dir, name, line string) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	_, _ = f.WriteString(line + "\n")
	_ = f.Close()
}

// TestKafkaWorker is the consumer process of TestSIGKILLMidHandler.
func TestKafkaWorker(t *testing.T) {
	mode := os.Getenv("GOX_KAFKA_WORKER")
	if mode == "" {
		t.Skip("run by TestSIGKILLMidHandler as its worker process")
	}
	dir := os.Getenv("GOX_KAFKA_DIR")
	b, err := kafka.Open(context.Background(), config(strings.Split(os.Getenv("GOX_KAFKA_BROKERS"), ",")))
	if err != nil {
		t.Fatal(err)
	}
	c, err := broker.NewConsumer(b, "payments", func(_ context.Context, m *broker.Message) error {
		appendLine(dir, "seen", mode+"_"+m.ID)
		if !slices.Contains(lines(dir, "processed"), m.ID) { // idempotent
			appendLine(dir, "processed", m.ID)
		}
		if mode == "hang" && m.ID == "pay-1" {
			select {} // killed here
		}
		return nil
	}, broker.ConsumerOptions{Group: "billing", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Start(context.Background()) // until killed
}
