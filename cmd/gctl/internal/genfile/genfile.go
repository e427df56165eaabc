// Package genfile writes what gctl generates: a generated file is rewritten
// only when its bytes change (so regenerating an unchanged definition
// touches nothing), a file the user owns is written only when missing, and
// every write goes through a temporary file and a rename, so a failure
// leaves the old file whole.
package genfile

import (
	"bytes"
	"os"
	"path/filepath"
)

// File is one file to write.
type File struct {
	// Name is the path, slash- or OS-separated, relative to the directory
	// given to Write and Stale.
	Name string
	Data []byte
	// Once marks a file the user edits: written when missing, never
	// overwritten, never stale.
	Once bool
}

// Write writes files under dir and returns the names it wrote. Directories
// are created as needed.
func Write(dir string, files []File) ([]string, error) {
	var wrote []string
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		old, err := os.ReadFile(p)
		switch {
		case err == nil && (f.Once || bytes.Equal(old, f.Data)):
			continue
		case err != nil && !os.IsNotExist(err):
			return wrote, err
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return wrote, err
		}
		if err := writeFile(p, f.Data); err != nil {
			return wrote, err
		}
		wrote = append(wrote, f.Name)
	}
	return wrote, nil
}

// Stale returns the names of the generated files (not Once) whose copy
// under dir is missing or differs.
func Stale(dir string, files []File) []string {
	var stale []string
	for _, f := range files {
		if f.Once {
			continue
		}
		old, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Name)))
		if err != nil || !bytes.Equal(old, f.Data) {
			stale = append(stale, f.Name)
		}
	}
	return stale
}

func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
