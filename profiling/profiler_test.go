package profiling

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/report"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// reports collects what a Profiler reports.
type reports struct {
	mu  sync.Mutex
	got []*report.Report
	ch  chan *report.Report
}

func newReports() *reports { return &reports{ch: make(chan *report.Report, 100)} }

func (r *reports) Report(_ context.Context, rep *report.Report) error {
	r.mu.Lock()
	r.got = append(r.got, rep)
	r.mu.Unlock()
	r.ch <- rep
	return nil
}

func (r *reports) all() []*report.Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*report.Report(nil), r.got...)
}

// rig is a Profiler on a fake clock reading values the test sets; tick
// takes one reading and moves the clock one interval.
type rig struct {
	t     *testing.T
	p     *Profiler
	clock *fakeClock
	next  Sample
	rep   *reports
	dir   string
}

func newRig(t *testing.T, change func(*Config)) *rig {
	r := &rig{t: t, clock: &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, rep: newReports(), dir: t.TempDir()}
	cfg := Config{Dir: r.dir, Interval: time.Second, History: 5, CPUDuration: time.Second,
		CPU:       Rule{Enabled: true, Min: 10, Diff: 25, Abs: 70, Cooldown: time.Minute},
		Heap:      Rule{Enabled: true, Min: 64, Diff: 25, Abs: 1024, Cooldown: time.Minute},
		Goroutine: Rule{Enabled: true, Min: 100, Diff: 20, Abs: 10000, Max: 50000, Cooldown: 10 * time.Minute}}
	if change != nil {
		change(&cfg)
	}
	p, err := New(cfg, WithClock(r.clock.now), WithReporter(r.rep), WithLogger(slog.New(slog.DiscardHandler)),
		WithReader(func() (Sample, error) { return r.next, nil }))
	if err != nil {
		t.Fatal(err)
	}
	// A CPU profile "records" for as long as the fake clock is moved.
	p.sleep = func(_ context.Context, d time.Duration) bool { r.clock.add(d); return true }
	r.p = p
	return r
}

func (r *rig) tick(s Sample) []*report.Report {
	r.t.Helper()
	before := len(r.rep.all())
	r.next = s
	r.p.tick(context.Background())
	r.clock.add(time.Second)
	return r.rep.all()[before:]
}

var calm = Sample{CPU: 5, HeapMiB: 80, Goroutines: 120}

// warm takes the History readings before which nothing is captured.
func (r *rig) warm() {
	for range 5 {
		if got := r.tick(calm); len(got) != 0 {
			r.t.Fatalf("captured while warming up: %v", got[0].Message)
		}
	}
}

func TestNothingIsCapturedBeforeTheHistoryIsFull(t *testing.T) {
	r := newRig(t, nil)
	for i := range 4 {
		if got := r.tick(Sample{CPU: 99, HeapMiB: 5000, Goroutines: 20000}); len(got) != 0 {
			t.Fatalf("reading %d, before the history was full, captured %s", i, got[0].Message)
		}
	}
	if got := r.tick(Sample{CPU: 99, HeapMiB: 5000, Goroutines: 20000}); len(got) != 0 {
		t.Fatalf("the 5th reading, the history full only after it, captured %s", got[0].Message)
	}
	if got := r.tick(Sample{CPU: 99, HeapMiB: 5000, Goroutines: 20000}); len(got) != 3 {
		t.Fatalf("the 6th reading, above every abs, captured %d profiles, want 3", len(got))
	}
}

// A goroutine jump captures the goroutine profile: a file in the directory,
// a report with the rule, the value, the threshold and the file attached.
func TestGoroutineSpikeIsCapturedAndReported(t *testing.T) {
	r := newRig(t, nil)
	r.warm()
	got := r.tick(Sample{CPU: 5, HeapMiB: 80, Goroutines: 150}) // 25% above 120
	if len(got) != 1 {
		t.Fatalf("%d reports, want 1", len(got))
	}
	rep := got[0]
	if rep.Kind != report.KindProfile || rep.Operation != "profile goroutine" {
		t.Fatalf("report kind %q operation %q", rep.Kind, rep.Operation)
	}
	want := map[string]string{"rule": "goroutine", "reason": "diff", "value": "150", "threshold": "144", "average": "120", "unit": ""}
	for k, v := range want {
		if rep.Tags[k] != v {
			t.Errorf("tag %s = %q, want %q", k, rep.Tags[k], v)
		}
	}
	if rep.Message != "goroutine spike: 150, 25% above its average of 120 (threshold 144)" || rep.Err == nil {
		t.Errorf("message %q err %v", rep.Message, rep.Err)
	}
	files := profileFiles(t, r.dir)
	if len(files) != 1 || filepath.Join(r.dir, files[0]) != rep.Tags["file"] || !strings.HasSuffix(files[0], "-goroutine.pb.gz") {
		t.Fatalf("files %v, report names %q", files, rep.Tags["file"])
	}
	if len(rep.Attachments) != 1 || rep.Attachments[0].Name != files[0] {
		t.Fatalf("attachments %+v", rep.Attachments)
	}
	onDisk, _ := os.ReadFile(rep.Tags["file"])
	if !bytes.Equal(onDisk, rep.Attachments[0].Data) {
		t.Fatal("the attachment is not the file")
	}
	assertPprof(t, onDisk, "goroutine")
}

// assertPprof checks data is a gzipped pprof profile that names what.
func assertPprof(t *testing.T, data []byte, what string) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the %s profile is not gzip: %v", what, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil || len(raw) == 0 {
		t.Fatalf("the %s profile: %d bytes, %v", what, len(raw), err)
	}
	sampleType := map[string]string{"cpu": "samples", "heap": "inuse_space", "goroutine": "goroutine"}[what]
	if !bytes.Contains(raw, []byte(sampleType)) {
		t.Fatalf("the %s profile does not name its sample type %s", what, sampleType)
	}
}

func profileFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// After a capture the rule rests for its cooldown; the other rules do not.
func TestCooldown(t *testing.T) {
	r := newRig(t, nil)
	r.warm()
	if got := r.tick(Sample{CPU: 80, HeapMiB: 80, Goroutines: 120}); len(got) != 1 || got[0].Tags["rule"] != "cpu" || got[0].Tags["reason"] != "abs" {
		t.Fatalf("cpu at 80%%: %d reports", len(got))
	}
	// The CPU profile took a second of the fake clock, the tick another:
	// 58s of the cooldown remain.
	for range 50 {
		if got := r.tick(Sample{CPU: 80, HeapMiB: 80, Goroutines: 120}); len(got) != 0 {
			t.Fatalf("captured in the cooldown: %s", got[0].Message)
		}
	}
	if got := r.tick(Sample{CPU: 80, HeapMiB: 2000, Goroutines: 120}); len(got) != 1 || got[0].Tags["rule"] != "heap" {
		t.Fatalf("heap at 2000 MiB during cpu's cooldown: %d reports", len(got))
	}
	r.clock.add(time.Minute)
	got := r.tick(Sample{CPU: 80, HeapMiB: 80, Goroutines: 120})
	if len(got) != 1 || got[0].Tags["rule"] != "cpu" {
		t.Fatalf("cpu at 80%% after the cooldown: %d reports", len(got))
	}
	assertPprof(t, got[0].Attachments[0].Data, "cpu")
	if got[0].Attachments[0].Name != filepath.Base(got[0].Tags["file"]) {
		t.Fatalf("attachment %q, file %q", got[0].Attachments[0].Name, got[0].Tags["file"])
	}
}

// A value at or above Max is not captured, nor below Min.
func TestMinAndMax(t *testing.T) {
	r := newRig(t, nil)
	r.warm()
	if got := r.tick(Sample{CPU: 9, HeapMiB: 80, Goroutines: 60000}); len(got) != 0 {
		t.Fatalf("captured %s", got[0].Message)
	}
	r2 := newRig(t, nil)
	for range 5 {
		r2.tick(Sample{CPU: 1, HeapMiB: 1, Goroutines: 1})
	}
	if got := r2.tick(Sample{CPU: 9, HeapMiB: 60, Goroutines: 99}); len(got) != 0 {
		t.Fatalf("below min, far above the average: captured %s", got[0].Message)
	}
}

// A profile that cannot be written is still reported, saying why.
func TestCaptureFailureIsReported(t *testing.T) {
	r := newRig(t, nil)
	blocker := filepath.Join(r.dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r.p.store.dir = filepath.Join(blocker, "profiles") // a file where the directory should be
	r.warm()
	got := r.tick(Sample{CPU: 5, HeapMiB: 2000, Goroutines: 120})
	if len(got) != 1 {
		t.Fatalf("%d reports, want 1", len(got))
	}
	if e := got[0].Tags["capture_error"]; !strings.Contains(e, blocker) || got[0].Attachments != nil || got[0].Tags["file"] != "" {
		t.Fatalf("capture_error %q, attachments %d, file %q", e, len(got[0].Attachments), got[0].Tags["file"])
	}
}

// A CPU profile already being recorded (the pprof endpoint) leaves the
// spike reported without a profile.
func TestCPUProfileInUse(t *testing.T) {
	r := newRig(t, nil)
	r.warm()
	var other bytes.Buffer
	if err := pprof.StartCPUProfile(&other); err != nil {
		t.Skip("a CPU profile is running:", err)
	}
	got := r.tick(Sample{CPU: 90, HeapMiB: 80, Goroutines: 120})
	pprof.StopCPUProfile()
	if len(got) != 1 || !strings.Contains(got[0].Tags["capture_error"], "pprof endpoint") || len(profileFiles(t, r.dir)) != 0 {
		t.Fatalf("reports %d, tags %v", len(got), got[0].Tags)
	}
}

// A Reporter that fails or panics is logged; the Profiler goes on.
func TestReporterPanics(t *testing.T) {
	r := newRig(t, nil)
	calls := 0
	r.p.o.reporter = report.ReporterFunc(func(context.Context, *report.Report) error {
		calls++
		if calls == 1 {
			panic("reporter bug")
		}
		return errors.New("reporter down")
	})
	r.warm()
	r.tick(Sample{CPU: 5, HeapMiB: 2000, Goroutines: 20000})
	if calls != 2 || len(profileFiles(t, r.dir)) != 2 {
		t.Fatalf("reporter called %d times, %d files; want 2 and 2", calls, len(profileFiles(t, r.dir)))
	}
}

// A reading that fails is skipped; the history is not touched.
func TestReadingErrorIsSkipped(t *testing.T) {
	r := newRig(t, nil)
	fail := true
	r.p.o.read = func() (Sample, error) {
		if fail {
			return Sample{}, errors.New("no /proc")
		}
		return r.next, nil
	}
	for range 10 {
		r.tick(calm)
	}
	if r.p.watch[0].hist.full || r.p.watch[0].hist.next != 0 {
		t.Fatal("failed readings were counted")
	}
	fail = false
	r.warm()
}

func TestStartStop(t *testing.T) {
	r := newRig(t, func(c *Config) { c.Interval = time.Millisecond })
	reads := make(chan struct{}, 100)
	r.p.o.read = func() (Sample, error) {
		select {
		case reads <- struct{}{}:
		default:
		}
		return calm, nil
	}
	done := make(chan error, 1)
	go func() { done <- r.p.Start(context.Background()) }()
	for range 3 {
		select {
		case <-reads:
		case <-time.After(5 * time.Second):
			t.Fatal("Start took no reading")
		}
	}
	if err := r.p.Start(context.Background()); err == nil {
		t.Fatal("a second Start was taken")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Start returned %v after Stop", err)
	}
	// Stop before Start: Start returns at once.
	r2 := newRig(t, nil)
	if err := r2.p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r2.p.Start(ctx); err != nil {
		t.Fatal(err)
	}
}
