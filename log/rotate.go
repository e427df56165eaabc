package log

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"
)

// rotatingFile is a log file rotated by lumberjack whose backups are
// compressed and pruned by gox's own mill instead of lumberjack's.
//
// lumberjack gzips a 100 MB backup in one go at gzip's default level: about a
// second of CPU taken in 10 ms slices from whatever else runs on that core —
// the requests the service is serving. On a service pinned to one core, that
// put the p99 of every request during a rotation at 5× its usual value. The
// mill compresses in small chunks at gzip's fastest level and rests between
// chunks (three times as long as the chunk took), so it never holds a core
// for long and never takes more than a quarter of one; Close stops it.
type rotatingFile struct {
	lj   *lumberjack.Logger
	max  int64
	size atomic.Int64 // bytes written since the last rotation, as lumberjack counts them
	mill *mill
}

// newRotatingFile opens (lazily, as lumberjack does) the file of c.
func newRotatingFile(c FileConfig) *rotatingFile {
	maxMB := c.MaxSizeMB
	if maxMB <= 0 {
		maxMB = 100 // lumberjack's default
	}
	f := &rotatingFile{
		// lumberjack only rotates: compression and pruning are the mill's
		lj:  &lumberjack.Logger{Filename: c.Path, MaxSize: maxMB},
		max: int64(maxMB) << 20,
	}
	if st, err := os.Stat(c.Path); err == nil {
		f.size.Store(st.Size())
	}
	f.mill = newMill(c, time.Now, restingSleep(3))
	return f
}

// Write writes p, rotating first when p would take the file past its size.
func (f *rotatingFile) Write(p []byte) (int, error) {
	n, err := f.lj.Write(p)
	if err == nil && f.size.Add(int64(n)) > f.max {
		// lumberjack rotated before this write: the file holds p alone
		f.size.Store(int64(n))
		f.mill.kick()
	}
	return n, err
}

// Close closes the file and stops the mill; a backup being compressed is
// left as it was, for the next start to compress.
func (f *rotatingFile) Close() error {
	f.mill.close()
	return f.lj.Close()
}

// mill compresses and prunes the backups of one log file, on a goroutine of
// its own, after each rotation and once at start.
type mill struct {
	dir, prefix, ext string
	compress         bool
	maxBackups       int
	maxAge           time.Duration
	now              func() time.Time
	rest             func(worked time.Duration, stop <-chan struct{}) bool // false: stopped

	kicks     chan struct{}
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// backupTime is the timestamp lumberjack puts in a backup's name.
const backupTime = "2006-01-02T15-04-05.000"

// millChunk is how much the mill compresses between rests: ~0.3 ms of CPU
// at gzip's fastest level.
const millChunk = 64 << 10

// newMill starts the mill of c's backups and has it look at them once.
func newMill(c FileConfig, now func() time.Time, rest func(time.Duration, <-chan struct{}) bool) *mill {
	m := millFor(c, now, rest)
	go m.run()
	m.kick() // backups an earlier run left uncompressed
	return m
}

// millFor is the mill of c's backups, not started.
func millFor(c FileConfig, now func() time.Time, rest func(time.Duration, <-chan struct{}) bool) *mill {
	name := filepath.Base(c.Path)
	ext := filepath.Ext(name)
	m := &mill{dir: filepath.Dir(c.Path), prefix: strings.TrimSuffix(name, ext) + "-", ext: ext,
		compress: c.Compress, maxBackups: c.MaxBackups, maxAge: time.Duration(c.MaxAgeDays) * 24 * time.Hour,
		now: now, rest: rest,
		kicks: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	return m
}

// restingSleep rests ratio times as long as the work took, or until stop.
func restingSleep(ratio int) func(time.Duration, <-chan struct{}) bool {
	return func(worked time.Duration, stop <-chan struct{}) bool {
		t := time.NewTimer(time.Duration(ratio) * worked)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-stop:
			return false
		}
	}
}

func (m *mill) kick() { signal(m.kicks) }

func (m *mill) close() {
	m.closeOnce.Do(func() { close(m.stop) })
	<-m.done
}

func (m *mill) run() {
	defer close(m.done)
	for {
		select {
		case <-m.kicks:
			_ = m.runOnce() // as lumberjack: a failed compression fails no log write
		case <-m.stop:
			return
		}
	}
}

// backup is a rotated file: its name without ".gz", and whether it is gzipped.
type backup struct {
	name   string
	t      time.Time
	zipped bool
}

// runOnce compresses the backups not yet compressed, then removes the oldest
// beyond maxBackups and those older than maxAge.
func (m *mill) runOnce() error {
	bs, err := m.backups()
	if err != nil {
		return err
	}
	var first error
	keep := bs[:0]
	for i, b := range bs { // newest first
		old := (m.maxBackups > 0 && i >= m.maxBackups) || (m.maxAge > 0 && b.t.Before(m.now().Add(-m.maxAge)))
		if old {
			if err := os.Remove(m.path(b)); err != nil && first == nil {
				first = err
			}
			continue
		}
		keep = append(keep, b)
	}
	if !m.compress {
		return first
	}
	for _, b := range keep {
		if b.zipped {
			continue
		}
		if err := m.gzip(filepath.Join(m.dir, b.name)); err != nil {
			if errors.Is(err, errStopped) {
				return first
			}
			if first == nil {
				first = err
			}
		}
	}
	return first
}

func (m *mill) path(b backup) string {
	if b.zipped {
		return filepath.Join(m.dir, b.name+".gz")
	}
	return filepath.Join(m.dir, b.name)
}

// backups lists the rotated files, newest first; a backup present both
// plain and gzipped (a compression stopped before removing the plain file)
// is listed once, as plain, and compressed again.
func (m *mill) backups() ([]backup, error) {
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		return nil, fmt.Errorf("log: listing backups: %w", err)
	}
	seen := map[string]int{}
	var bs []backup
	for _, e := range entries {
		name, zipped := strings.CutSuffix(e.Name(), ".gz")
		if e.IsDir() || !strings.HasPrefix(name, m.prefix) || !strings.HasSuffix(name, m.ext) {
			continue
		}
		t, err := time.Parse(backupTime, name[len(m.prefix):len(name)-len(m.ext)])
		if err != nil {
			continue // not a backup of this file
		}
		if i, ok := seen[name]; ok {
			if !zipped { // both: the plain one is the whole backup
				bs[i].zipped = false
			}
			continue
		}
		seen[name] = len(bs)
		bs = append(bs, backup{name: name, t: t, zipped: zipped})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].t.After(bs[j].t) })
	return bs, nil
}

var errStopped = errors.New("log: mill stopped")

// gzip writes src.gz through a temporary file, then removes src: a crash or
// Close at any point leaves src whole.
func (m *mill) gzip(src string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	tmp := src + ".gz.tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, st.Mode().Perm())
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = out.Close()
			_ = os.Remove(tmp)
		}
	}()
	zw, _ := gzip.NewWriterLevel(out, gzip.BestSpeed) // a valid level: no error
	buf := make([]byte, millChunk)
	for {
		start := m.now()
		n, rerr := io.ReadFull(in, buf)
		if n > 0 {
			if _, err := zw.Write(buf[:n]); err != nil {
				return err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return rerr
		}
		if !m.rest(m.now().Sub(start), m.stop) {
			return errStopped
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, src+".gz"); err != nil {
		return err
	}
	return os.Remove(src)
}
