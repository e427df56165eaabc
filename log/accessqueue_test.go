package log

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/goxtest"
)

// stalledWriter holds its first Write until gate is closed.
type stalledWriter struct {
	goxtest.LogBuffer
	gate chan struct{}
	once sync.Once
}

func (w *stalledWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { <-w.gate })
	return w.LogBuffer.Write(p)
}

func asyncLogger(t *testing.T, w io.Writer) *Logger {
	t.Helper()
	l, err := NewWriter(Config{Level: "debug", Format: "json", AsyncAccess: true}, true, w)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// logBoth logs each (context, record) pair to a synchronous and an
// asynchronous logger and returns what each wrote, the async one closed.
func logBoth(t *testing.T, ctxs []context.Context, recs []Access) (async, sync string) {
	t.Helper()
	var syncOut bytes.Buffer
	sl, err := NewWriter(Config{Level: "debug", Format: "json"}, true, &syncOut)
	if err != nil {
		t.Fatal(err)
	}
	var asyncOut goxtest.LogBuffer
	al := asyncLogger(t, &asyncOut)
	for i := range recs {
		LogAccess(ctxs[i], sl.Handler(), &recs[i])
		LogAccess(ctxs[i], al.Handler(), &recs[i])
	}
	if err := al.Close(); err != nil {
		t.Fatal(err)
	}
	return asyncOut.String(), syncOut.String()
}

// Queued records come out byte for byte as the synchronous path writes them,
// context attributes and trace ids included, in order. The sequence repeats
// records (the batch writer reuses the last line's message, kind and
// operation) and changes each of the three alone (it must not).
func TestAsyncAccessWritesWhatTheSyncPathWrites(t *testing.T) {
	ctx, recs := sampleAccess()
	otherKind, otherMsg, otherOp := recs[0], recs[0], recs[0]
	otherKind.Kind, otherMsg.Msg, otherOp.Operation = "grpc", "call", "GET /users"
	recs = []Access{recs[0], recs[0], recs[1], recs[1], recs[0], otherKind, otherKind, otherMsg, recs[0], otherOp, recs[0]}
	ctxs := slices.Repeat([]context.Context{ctx}, len(recs))
	async, sync := logBoth(t, ctxs, recs)
	if async != sync || !strings.Contains(sync, `"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"`) {
		t.Fatalf("async:\n%s\nsync:\n%s", async, sync)
	}
}

// A record whose context holds an attribute the fast encoder does not write
// (a group) goes out through zap from the batch writer, between the lines
// queued before and after it: the same bytes, in the same order, as the
// synchronous path.
func TestAsyncAccessNonScalarAttributeKeepsItsPlace(t *testing.T) {
	ctx, recs := sampleAccess()
	grouped := WithAttrs(ctx, slog.Group("user", slog.String("id", "u-7"), slog.Int("tier", 2)))
	ctxs := []context.Context{ctx, grouped, ctx, grouped, grouped, ctx}
	async, sync := logBoth(t, ctxs, []Access{recs[0], recs[1], recs[0], recs[1], recs[0], recs[1]})
	if async != sync || strings.Count(sync, `"user":{"id":"u-7","tier":2}`) != 3 {
		t.Fatalf("async:\n%s\nsync:\n%s", async, sync)
	}
}

// Many goroutines logging at once: every record is written once, and each
// goroutine's records in the order it made them.
func TestAsyncAccessKeepsEveryRecordInOrder(t *testing.T) {
	var w goxtest.LogBuffer
	l := asyncLogger(t, &w)
	const goroutines, each = 8, 3000 // more than maxPending in all
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				LogAccess(context.Background(), l.Handler(), &Access{Time: time.Now(), Msg: "request",
					Kind: "http", Operation: fmt.Sprint("g", g), Code: i})
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	next := map[string]int{}
	lines := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	for _, line := range lines {
		var rec struct {
			Operation string
			Code      int
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		if rec.Code != next[rec.Operation] {
			t.Fatalf("%s: record %d where %d was due", rec.Operation, rec.Code, next[rec.Operation])
		}
		next[rec.Operation]++
	}
	if len(lines) != goroutines*each {
		t.Fatalf("%d records written, want %d", len(lines), goroutines*each)
	}
}

// A record reaches the output on its own, without Sync or Close.
func TestAsyncAccessWrittenWithinTheDelay(t *testing.T) {
	var w goxtest.LogBuffer
	l := asyncLogger(t, &w)
	LogAccess(context.Background(), l.Handler(), &Access{Time: time.Now(), Msg: "request", Operation: "GET /one"})
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(w.String(), `"operation":"GET /one"`) {
		if time.Now().After(deadline) {
			t.Fatal("the record was not written within 5s of being logged")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// When the output stalls, a request that finds the queue full waits for it
// instead of dropping records; when the output moves again, all arrive.
func TestAsyncAccessWaitsWhenFullAndDropsNothing(t *testing.T) {
	w := stalledWriter{gate: make(chan struct{})}
	l := asyncLogger(t, &w)
	release := sync.OnceFunc(func() { close(w.gate) })
	t.Cleanup(release) // runs before the logger's Close, even when the test fails
	// The writer may hold a batch of any size when it stalls; past that,
	// maxPending more make a request wait.
	const n = 2*maxPending + 100
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			LogAccess(context.Background(), l.Handler(), &Access{Time: time.Now(), Msg: "request", Code: i})
		}
	}()
	select {
	case <-done:
		t.Fatalf("%d records were taken while the output was stalled: some must wait", n)
	case <-time.After(300 * time.Millisecond):
	}
	release()
	<-done
	if err := l.Sync(); err != nil && !strings.Contains(err.Error(), "sync") {
		t.Fatal(err)
	}
	if got := strings.Count(w.String(), "\n"); got != n {
		t.Fatalf("%d records written, want %d", got, n)
	}
}

// After Close, records are written by their callers, not lost.
func TestAsyncAccessAfterClose(t *testing.T) {
	var w goxtest.LogBuffer
	l := asyncLogger(t, &w)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	LogAccess(context.Background(), l.Handler(), &Access{Time: time.Now(), Msg: "request", Operation: "GET /late"})
	if !strings.Contains(w.String(), `"operation":"GET /late"`) {
		t.Fatalf("record logged after Close was not written: %q", w.String())
	}
}
