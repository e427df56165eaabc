package devloop

import (
	"io/fs"
	"os"
	"path/filepath"
)

// maxSnapshot bounds the files a snapshot records; a larger project skips
// the unchanged-file check (every burst rebuilds).
const maxSnapshot = 20000

// snapshot records the stamp of every source file under the project, or
// nil when there are too many.
func (s *service) snapshot() map[string]stamp {
	m := map[string]stamp{}
	_ = filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || m == nil {
			return nil
		}
		rel, _ := filepath.Rel(s.dir, p)
		if d.IsDir() {
			if p != s.dir && SkipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if Classify(rel) == Ignore {
			return nil
		}
		if len(m) >= maxSnapshot {
			m = nil
			return filepath.SkipAll
		}
		if fi, err := d.Info(); err == nil {
			m[rel] = stamp{size: fi.Size(), mod: fi.ModTime()}
		}
		return nil
	})
	return m
}

// unchanged reports whether every path is as it was when the last good
// build started (both missing counts as the same).
func (s *service) unchanged(paths []string) bool {
	if s.built == nil || len(paths) == 0 {
		return false
	}
	for _, rel := range paths {
		was, had := s.built[rel]
		fi, err := os.Stat(filepath.Join(s.dir, rel))
		if had != (err == nil) || (had && (fi.Size() != was.size || !fi.ModTime().Equal(was.mod))) {
			return false
		}
	}
	return true
}
