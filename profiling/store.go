package profiling

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// timeLayout names a profile by its UTC time; names sort as times do.
const timeLayout = "20060102T150405.000000000Z"

// fileName returns the name of the profile of rule taken at t.
func fileName(t time.Time, rule string) string {
	return "gox-" + t.UTC().Format(timeLayout) + "-" + rule + ".pb.gz"
}

// parseName returns the time and rule of a profile's file name, and false
// for a file this package did not write.
func parseName(name string) (time.Time, string, bool) {
	rest, ok := strings.CutPrefix(name, "gox-")
	if !ok {
		return time.Time{}, "", false
	}
	rest, ok = strings.CutSuffix(rest, ".pb.gz")
	if !ok || len(rest) < len(timeLayout)+2 || rest[len(timeLayout)] != '-' {
		return time.Time{}, "", false
	}
	t, err := time.Parse(timeLayout, rest[:len(timeLayout)])
	if err != nil {
		return time.Time{}, "", false
	}
	rule := rest[len(timeLayout)+1:]
	switch rule {
	case "cpu", "heap", "goroutine":
	default:
		return time.Time{}, "", false
	}
	if fileName(t, rule) != name { // time.Parse takes variants: "," for "."
		return time.Time{}, "", false
	}
	return t, rule, true
}

// store writes profiles to a directory and keeps it bounded.
type store struct {
	dir       string
	keepFiles int
	maxBytes  int64
}

// write stores data as the profile of rule taken at t, through a temporary
// file renamed into place so that no reader sees half a profile, and
// returns its path. It then deletes the oldest profiles beyond the bounds.
func (s store) write(t time.Time, rule string, data []byte) (string, error) {
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return "", fmt.Errorf("profiling: dir %s: %w", s.dir, err)
	}
	f, err := os.CreateTemp(s.dir, ".gox-profile-*.tmp")
	if err != nil {
		return "", fmt.Errorf("profiling: dir %s: %w", s.dir, err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	path := filepath.Join(s.dir, fileName(t, rule))
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("profiling: write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("profiling: write %s: %w", path, err)
	}
	return path, s.rotate(filepath.Base(path))
}

type profileFile struct {
	name string
	t    time.Time
	size int64
}

// rotate deletes the oldest profiles until at most keepFiles remain and
// they hold at most maxBytes; keep, the newest, stays whatever its size.
func (s store) rotate(keep string) error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("profiling: rotate %s: %w", s.dir, err)
	}
	var files []profileFile
	for _, e := range entries {
		t, _, ok := parseName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // deleted meanwhile
		}
		files = append(files, profileFile{e.Name(), t, info.Size()})
	}
	// Newest first; the one just written before any other.
	slices.SortFunc(files, func(a, b profileFile) int {
		if a.name == keep || b.name == keep {
			return boolCmp(b.name == keep, a.name == keep)
		}
		return b.t.Compare(a.t)
	})
	var errs []error
	var total int64
	for i, f := range files {
		total += f.size
		if i == 0 || (i < s.keepFiles && total <= s.maxBytes) {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, f.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("profiling: rotate: %w", err))
		}
	}
	return errors.Join(errs...)
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
