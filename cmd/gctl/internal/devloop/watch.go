package devloop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/fsnotify/fsnotify"
)

// maxWatchedDirs bounds the directories one project may watch; past it
// gctl run says so instead of exhausting the system's inotify watches.
const maxWatchedDirs = 4096

// watcher turns fsnotify's events under root into project-relative paths,
// watching every directory that SkipDir does not exclude, including the
// ones created while it runs.
type watcher struct {
	root  string
	fs    *fsnotify.Watcher
	dirs  int
	out   chan<- string
	warnf func(format string, args ...any)
}

// watch starts watching root and sends the relative path of every file
// created, written, removed or renamed to out until ctx ends. It fails
// when root cannot be watched at all.
func watch(ctx context.Context, root string, out chan<- string, warnf func(string, ...any)) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", root, err)
	}
	w := &watcher{root: root, fs: fw, out: out, warnf: warnf}
	if err := w.addTree(ctx, root, false); err != nil {
		fw.Close()
		return err
	}
	go w.loop(ctx)
	return nil
}

func (w *watcher) loop(ctx context.Context) {
	defer w.fs.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			w.warnf("watching %s: %v", w.root, err)
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			w.handle(ctx, ev)
		}
	}
}

func (w *watcher) handle(ctx context.Context, ev fsnotify.Event) {
	if ev.Has(fsnotify.Chmod) && !ev.Has(fsnotify.Write|fsnotify.Create|fsnotify.Remove|fsnotify.Rename) {
		return // atime and mode changes are not edits
	}
	if ev.Has(fsnotify.Create) {
		if fi, err := statDir(ev.Name); err == nil && fi {
			if !SkipDir(filepath.Base(ev.Name)) {
				// files may land in it before its watch is added: report those too
				if err := w.addTree(ctx, ev.Name, true); err != nil {
					w.warnf("%v", err)
				}
			}
			return
		}
	}
	w.send(ctx, ev.Name)
}

func (w *watcher) send(ctx context.Context, path string) {
	rel, err := filepath.Rel(w.root, path)
	if err != nil {
		return
	}
	select {
	case w.out <- rel:
	case <-ctx.Done():
	}
}

// addTree watches dir and the directories under it; with report, it also
// sends the files found, which were created before the watch was in place.
func (w *watcher) addTree(ctx context.Context, dir string, report bool) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return fmt.Errorf("watch %s: %w", p, err)
			}
			return nil // vanished meanwhile (a temp dir): nothing to watch
		}
		if !d.IsDir() {
			if report {
				w.send(ctx, p)
			}
			return nil
		}
		if p != w.root && SkipDir(d.Name()) {
			return filepath.SkipDir
		}
		if w.dirs >= maxWatchedDirs {
			return fmt.Errorf("watch %s: more than %d directories under %s; gctl run watches at most that many", p, maxWatchedDirs, w.root)
		}
		if err := w.fs.Add(p); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipDir
			}
			return fmt.Errorf("watch %s: %w (on Linux, fs.inotify.max_user_watches may be too low)", p, err)
		}
		w.dirs++
		return nil
	})
}

func statDir(p string) (bool, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return false, err
	}
	return fi.IsDir(), nil
}
