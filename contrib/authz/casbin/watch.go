package casbin

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

func newTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// startReloading starts what keeps the policies current: a watch on the
// policy file's directory, or the adapter's reload interval.
func (z *Authorizer) startReloading() error {
	switch {
	case z.cfg.Policy != "" && z.cfg.Watch:
		return z.watch()
	case z.adapter != nil && z.cfg.ReloadInterval > 0:
		tick, stop := z.ticker(z.cfg.ReloadInterval)
		z.wg.Go(func() {
			defer stop()
			for {
				select {
				case <-z.stop:
					return
				case <-tick:
					z.reloadAndLog("interval")
				}
			}
		})
	}
	return nil
}

// watch reloads the policy file when it changes. It watches the directory,
// not the file: an editor, a deploy tool or Kubernetes replaces a file by
// renaming another over it (a ConfigMap swaps its ..data link), which a
// watch on the old file would not see.
func (z *Authorizer) watch() error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("authz.watch: %w", err)
	}
	dir := filepath.Dir(z.cfg.Policy)
	if err := w.Add(dir); err != nil {
		_ = w.Close()
		return fmt.Errorf("authz.policy: watching %s: %w", dir, err)
	}
	base := filepath.Base(z.cfg.Policy)
	z.wg.Go(func() {
		defer w.Close()
		for {
			select {
			case <-z.stop:
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				name := filepath.Base(ev.Name)
				if (name == base || strings.HasPrefix(name, "..")) && z.changed() {
					z.reloadAndLog("file changed")
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				z.log.Warn("authz: watching the policy file", "file", z.cfg.Policy, "error", err)
			}
		}
	})
	return nil
}

// changed reports whether the policy file differs from the one in force,
// so that the several events one save makes reload it once.
func (z *Authorizer) changed() bool {
	b, err := os.ReadFile(z.cfg.Policy)
	if err != nil {
		return true // Reload says what is wrong
	}
	z.reload.Lock()
	defer z.reload.Unlock()
	return !bytes.Equal(b, z.loaded)
}

func (z *Authorizer) reloadAndLog(why string) {
	source := "adapter"
	if z.cfg.Policy != "" {
		source = z.cfg.Policy
	}
	if err := z.Reload(context.Background()); err != nil {
		z.log.Error("authz: policies not reloaded; the ones in force stay", "source", source, "cause", why, "error", err)
		return
	}
	z.log.Info("authz: policies reloaded", "source", source, "cause", why)
}
