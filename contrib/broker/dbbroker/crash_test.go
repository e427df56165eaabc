package dbbroker_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm/clause"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/contrib/broker/dbbroker"
	"github.com/goxkit/gox/contrib/database/xgorm"
	"github.com/goxkit/gox/goxtest"
)

// Processed is what the idempotent handler records: one row per message.
type Processed struct {
	MsgID   string `gorm:"primaryKey;size:64"`
	Attempt int
}

// TestSIGKILLMidHandler kills a consumer process with SIGKILL after its
// handler recorded the message but before it was acknowledged. Another
// process gets the message again after the visibility timeout; the
// idempotent handler leaves exactly one record, and nothing is left queued.
func TestSIGKILLMidHandler(t *testing.T) {
	if os.Getenv("GOX_DBQ_WORKER") != "" {
		return
	}
	dir := t.TempDir()
	dsn := filepath.Join(dir, "queue.db")
	c := xgorm.DefaultConfig()
	c.DSN = dsn
	ctx := context.Background()
	db, err := xgorm.Open(ctx, xgorm.Configs{"default": c})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, xgorm.Migrations{Models: append(dbbroker.Models(), &Processed{})}); err != nil {
		t.Fatal(err)
	}
	b, _ := dbbroker.New(db, fast())
	if err := b.Publish(ctx, "payments", &broker.Message{ID: "pay-1", Body: []byte("42")}); err != nil {
		t.Fatal(err)
	}
	worker := func(mode string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestQueueWorker$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GOX_DBQ_WORKER="+mode, "GOX_DBQ_DSN="+dsn, "GOX_DBQ_DIR="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := worker("hang")
	marker := filepath.Join(dir, "recorded")
	goxtest.Eventually(t, 15*time.Second, func() bool { _, err := os.Stat(marker); return err == nil })
	_ = first.Process.Kill() // SIGKILL: no deferred code, no ack
	_ = first.Wait()

	second := worker("normal")
	defer func() { _ = second.Process.Kill(); _ = second.Wait() }()
	goxtest.Eventually(t, 15*time.Second, func() bool {
		var jobs int64
		db.Default().Model(&dbbroker.Job{}).Count(&jobs)
		return jobs == 0
	})
	var rows []Processed
	db.Default().Find(&rows)
	if len(rows) != 1 || rows[0].MsgID != "pay-1" || rows[0].Attempt != 2 {
		t.Fatalf("processed %+v; want pay-1 once, last seen on attempt 2", rows)
	}
}

// TestQueueWorker is the consumer process of TestSIGKILLMidHandler.
func TestQueueWorker(t *testing.T) {
	mode := os.Getenv("GOX_DBQ_WORKER")
	if mode == "" {
		t.Skip("run by TestSIGKILLMidHandler as its worker process")
	}
	c := xgorm.DefaultConfig()
	c.DSN = os.Getenv("GOX_DBQ_DSN")
	ctx := context.Background()
	db, err := xgorm.Open(ctx, xgorm.Configs{"default": c})
	if err != nil {
		t.Fatal(err)
	}
	bc := fast()
	bc.Visibility = 500 * time.Millisecond
	b, _ := dbbroker.New(db, bc)
	cons, err := broker.NewConsumer(b, "payments", func(ctx context.Context, m *broker.Message) error {
		// idempotent: a second delivery of the same message changes nothing but the attempt seen
		err := db.Conn(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "msg_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"attempt"})}).Create(&Processed{MsgID: m.ID, Attempt: m.Attempt}).Error
		if err != nil {
			return err
		}
		if mode == "hang" {
			_ = os.WriteFile(filepath.Join(os.Getenv("GOX_DBQ_DIR"), "recorded"), nil, 0o644)
			select {} // killed here
		}
		return nil
	}, broker.ConsumerOptions{Group: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	_ = cons.Start(ctx) // until killed
}
