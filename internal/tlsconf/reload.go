package tlsconf

import (
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// stamp is what stat says of a file; a changed stamp means "read it again".
type stamp struct {
	fi  os.FileInfo
	err string
}

func statFile(path string) stamp {
	fi, err := os.Stat(path) // follows symlinks: a swapped ..data is another inode
	if err != nil {
		return stamp{err: err.Error()}
	}
	return stamp{fi: fi}
}

func (a stamp) same(b stamp) bool {
	if a.fi == nil || b.fi == nil {
		return a.fi == nil && b.fi == nil && a.err == b.err
	}
	return os.SameFile(a.fi, b.fi) && a.fi.Size() == b.fi.Size() && a.fi.ModTime().Equal(b.fi.ModTime())
}

// reloader holds the value made from a set of files and makes it again when
// a check finds that one of them changed. Get is safe for concurrent use.
type reloader[T any] struct {
	paths []string
	load  func() (*T, []any, error) // the value and attributes to log it by
	what  string                    // "http server certificate", for the log
	opts  Options

	cur  atomic.Pointer[T]
	t0   time.Time    // start; times are kept as durations since, monotonic, so a wall clock step does not stall the checks
	next atomic.Int64 // when the next check is due, since t0

	mu     sync.Mutex // one check at a time
	stamps []stamp    // the files as they were at the last attempt
}

// start loads the files; its error is the load's.
func (r *reloader[T]) start() error {
	r.stamps = r.statAll()
	v, _, err := r.load()
	if err != nil {
		return err
	}
	r.cur.Store(v)
	r.t0 = r.opts.Now()
	r.next.Store(int64(r.opts.CheckEvery))
	return nil
}

// get returns the current value, checking the files first when a check is
// due. Of concurrent callers only one checks; the others get the value as is.
func (r *reloader[T]) get() *T {
	now := int64(r.opts.Now().Sub(r.t0))
	n := r.next.Load()
	if now >= n && r.next.CompareAndSwap(n, now+int64(r.opts.CheckEvery)) {
		r.check()
	}
	return r.cur.Load()
}

// check reads the files again if their stamps changed since the last
// attempt. A failed load keeps the current value and is logged once: it is
// attempted again only when the files change again.
func (r *reloader[T]) check() {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.statAll()
	changed := false
	for i := range st {
		if !st[i].same(r.stamps[i]) {
			changed = true
		}
	}
	if !changed {
		return
	}
	r.stamps = st
	v, attrs, err := r.load()
	if err != nil {
		r.opts.Logger.Warn("tls: files changed but do not load; keeping the previous ones", "what", r.what, "files", r.paths, "error", err)
		return
	}
	r.cur.Store(v)
	r.opts.Logger.Info("tls: reloaded", append([]any{"what", r.what, "files", r.paths}, attrs...)...)
}

func (r *reloader[T]) statAll() []stamp {
	st := make([]stamp, len(r.paths))
	for i, p := range r.paths {
		st[i] = statFile(p)
	}
	return st
}

// leafAttrs are the attributes a certificate is logged by.
func leafAttrs(key string, c *tlsCert) []any {
	if c == nil || c.Leaf == nil {
		return nil
	}
	return []any{slog.Group(key, "subject", c.Leaf.Subject.String(), "serial", c.Leaf.SerialNumber.String(),
		"not_after", c.Leaf.NotAfter.Format(time.RFC3339))}
}
