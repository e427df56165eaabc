package config

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// debounce coalesces the bursts of events one save (or one ConfigMap swap) makes.
const debounce = 100 * time.Millisecond

// Watcher calls a function when the content of a config file changes. It
// watches the file's directory, not the file, so it sees editors that replace
// the file and Kubernetes ConfigMap volumes, which swap a ..data symlink
// atomically. It is a transport.Server: give it to the App to run.
type Watcher struct {
	path     string
	onChange func()
	logger   *slog.Logger

	mu   sync.Mutex
	last []byte
	stop chan struct{}
	once sync.Once
}

// NewWatcher returns a Watcher of path calling onChange after each change of
// its content. onChange typically calls Load again and applies the settings
// that can change while running (the log level); it runs on the watcher's
// goroutine, one call at a time.
func NewWatcher(path string, onChange func(), logger *slog.Logger) *Watcher {
	if logger == nil {
		logger = slog.Default()
	}
	return &Watcher{path: path, onChange: onChange, logger: logger, stop: make(chan struct{})}
}

// Start watches until Stop. It fails when the directory cannot be watched.
func (w *Watcher) Start(ctx context.Context) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("config watcher: %w", err)
	}
	defer fw.Close()
	dir := filepath.Dir(w.path)
	if err := fw.Add(dir); err != nil {
		return fmt.Errorf("config watcher: watch %s: %w", dir, err)
	}
	w.mu.Lock()
	w.last, _ = os.ReadFile(w.path)
	w.mu.Unlock()

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-w.stop:
			return nil
		case <-ctx.Done():
			return nil
		case _, ok := <-fw.Events:
			if !ok {
				return nil
			}
			timer.Reset(debounce) // any event in the directory: re-read after it settles
		case err, ok := <-fw.Errors:
			if !ok {
				return nil
			}
			w.logger.Warn("config watcher error", "path", w.path, "error", err)
		case <-timer.C:
			w.check()
		}
	}
}

func (w *Watcher) check() {
	data, err := os.ReadFile(w.path) // follows the symlinks to the current content
	if err != nil {
		w.logger.Warn("config file unreadable; keeping the running config", "path", w.path, "error", err)
		return
	}
	w.mu.Lock()
	same := bytes.Equal(data, w.last)
	w.last = data
	w.mu.Unlock()
	if !same {
		w.logger.Info("config file changed", "path", w.path)
		w.onChange()
	}
}

// Stop ends Start.
func (w *Watcher) Stop(context.Context) error {
	w.once.Do(func() { close(w.stop) })
	return nil
}
