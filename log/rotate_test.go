package log

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeNow is a clock that moves step at each reading.
func fakeNow(start time.Time, step time.Duration) func() time.Time {
	var n atomic.Int64
	return func() time.Time { return start.Add(time.Duration(n.Add(1)-1) * step) }
}

func writeBackup(t *testing.T, dir string, at time.Time, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, "app-"+at.UTC().Format(backupTime)+".log")
	if err := os.WriteFile(p, data, 0o640); err != nil {
		t.Fatal(err)
	}
	return p
}

func gunzip(t *testing.T, p string) []byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ns []string
	for _, e := range es {
		ns = append(ns, e.Name())
	}
	return ns
}

// A backup is compressed a chunk at a time, resting between chunks three
// times as long as the chunk took: compression never holds the core for long.
func TestMillCompressesInChunksAndRests(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte(`{"level":"info","msg":"access","status":200}`+"\n"), 24000) // ~1 MB
	src := writeBackup(t, dir, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), data)
	var rests []time.Duration
	m := millFor(FileConfig{Path: filepath.Join(dir, "app.log"), Compress: true},
		fakeNow(time.Now(), time.Millisecond), func(worked time.Duration, _ <-chan struct{}) bool {
			rests = append(rests, worked)
			return true
		})
	if err := m.runOnce(); err != nil {
		t.Fatal(err)
	}
	if got := gunzip(t, src+".gz"); !bytes.Equal(got, data) {
		t.Fatalf("the compressed backup holds %d bytes, want the %d written", len(got), len(data))
	}
	if _, err := os.Stat(src); !os.IsNotExist(err) {
		t.Fatalf("the plain backup is still there: %v", err)
	}
	if st, _ := os.Stat(src + ".gz"); st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, want the backup's 0640", st.Mode().Perm())
	}
	chunks := (len(data) + millChunk - 1) / millChunk
	if len(rests) != chunks-1 {
		t.Fatalf("rested %d times, want one rest between each of the %d chunks", len(rests), chunks)
	}
	for _, w := range rests {
		if w != time.Millisecond {
			t.Fatalf("rest after %v of work, want the chunk's 1ms", w)
		}
	}
	if err := m.runOnce(); err != nil { // nothing left to do
		t.Fatal(err)
	}
}

// restingSleep rests three times the work, and returns at once when stopped.
func TestRestingSleep(t *testing.T) {
	stop := make(chan struct{})
	start := time.Now()
	if !restingSleep(3)(time.Millisecond, stop) {
		t.Fatal("stopped without a stop")
	}
	if d := time.Since(start); d < 3*time.Millisecond {
		t.Fatalf("rested %v, want at least 3ms", d)
	}
	close(stop)
	if restingSleep(3)(time.Hour, stop) {
		t.Fatal("did not notice the stop")
	}
}

// Stopping the mill mid-compression leaves the backup whole and no
// temporary file; the next run compresses it.
func TestMillStoppedLeavesBackupWhole(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte("x"), 5*millChunk)
	src := writeBackup(t, dir, time.Now(), data)
	c := FileConfig{Path: filepath.Join(dir, "app.log"), Compress: true}
	m := millFor(c, time.Now, func(time.Duration, <-chan struct{}) bool { return false })
	if err := m.runOnce(); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{filepath.Base(src)}) {
		t.Fatalf("dir after a stopped compression: %v", got)
	}
	// a crash after the .gz was written but before the plain file was removed
	if err := os.WriteFile(src+".gz", []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	m = millFor(c, time.Now, func(time.Duration, <-chan struct{}) bool { return true })
	if err := m.runOnce(); err != nil {
		t.Fatal(err)
	}
	if got := gunzip(t, src+".gz"); !bytes.Equal(got, data) {
		t.Fatal("the backup was not compressed again from the whole plain file")
	}
}

// Backups beyond max_backups and older than max_age_days are removed,
// whether compressed or not; other files in the directory are left alone.
func TestMillPrunes(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var all []string
	for i := range 5 {
		p := writeBackup(t, dir, now.Add(-time.Duration(i)*time.Hour), []byte(fmt.Sprint(i)))
		all = append(all, filepath.Base(p))
	}
	if err := os.Rename(filepath.Join(dir, all[3]), filepath.Join(dir, all[3]+".gz")); err != nil {
		t.Fatal(err)
	}
	other := []string{"app.log", "app-notadate.log", "other-" + now.Format(backupTime) + ".log"}
	for _, n := range other {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	m := millFor(FileConfig{Path: filepath.Join(dir, "app.log"), MaxBackups: 3}, func() time.Time { return now }, nil)
	if err := m.runOnce(); err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(other), all[0], all[1], all[2])
	slices.Sort(want)
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after pruning to 3 backups: %v, want %v", got, want)
	}

	m = millFor(FileConfig{Path: filepath.Join(dir, "app.log"), MaxAgeDays: 1},
		func() time.Time { return now.Add(24*time.Hour - 30*time.Minute) }, nil)
	if err := m.runOnce(); err != nil {
		t.Fatal(err)
	}
	want = append(slices.Clone(other), all[0])
	slices.Sort(want)
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after pruning by age: %v, want %v", got, want)
	}
}

// Writes go on, and files keep rotating, while a compression waits: the
// writer never waits for the mill. Close stops a mill that is resting.
func TestRotationDoesNotWaitForCompression(t *testing.T) {
	dir := t.TempDir()
	c := FileConfig{Path: filepath.Join(dir, "app.log"), MaxSizeMB: 1, Compress: true}
	f := newRotatingFile(c)
	f.mill.close() // replace the mill with one whose rests never end
	resting := make(chan struct{}, 1)
	f.mill = newMill(c, time.Now, func(_ time.Duration, stop <-chan struct{}) bool {
		signal(resting)
		<-stop
		return false
	})
	line := []byte(strings.Repeat("x", 1023) + "\n")
	for range 3 << 10 { // 3 MB: three rotations
		if _, err := f.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	<-resting // the mill is mid-compression
	var plain int
	for _, n := range names(t, dir) {
		if strings.HasPrefix(n, "app-") && strings.HasSuffix(n, ".log") {
			plain++
		}
	}
	if plain < 2 {
		t.Fatalf("backups %v: the file did not rotate while the mill worked", names(t, dir))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for _, n := range names(t, dir) {
		if strings.HasSuffix(n, ".tmp") {
			t.Fatalf("Close left %s", n)
		}
	}
}
