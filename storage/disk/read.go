package disk

import (
	"context"
	"errors"
	"io"
	"os"
	"path"
	"syscall"

	"github.com/goxkit/gox/storage"
)

// Get implements storage.Store. The reader is an io.ReadSeeker over the
// selected range.
func (s *Store) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Info, error) {
	if err := ctx.Err(); err != nil {
		return nil, storage.Info{}, err
	}
	f, info, err := s.open(key)
	if err != nil {
		return nil, storage.Info{}, err
	}
	off, n, err := storage.ResolveRange(key, opts, info.Size)
	if err != nil {
		f.Close()
		return nil, storage.Info{}, err
	}
	return &object{SectionReader: io.NewSectionReader(f, off, n), f: f}, info, nil
}

// object reads a range of an object file; the file stays valid after a
// concurrent Put renames another over it.
type object struct {
	*io.SectionReader
	f *os.File
}

func (o *object) Close() error { return o.f.Close() }

// Stat implements storage.Store.
func (s *Store) Stat(ctx context.Context, key string) (storage.Info, error) {
	if err := ctx.Err(); err != nil {
		return storage.Info{}, err
	}
	f, info, err := s.open(key)
	if err != nil {
		return storage.Info{}, err
	}
	f.Close()
	return info, nil
}

// Delete implements storage.Store: a missing key is not an error. The
// directories the deletion leaves empty are removed.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fi, err := s.root.Lstat(key)
	switch {
	case errors.Is(err, os.ErrNotExist) || isNotDir(err):
		return nil
	case err != nil:
		return s.pathError("delete", key, err)
	case fi.IsDir():
		return nil // the "directory" of other keys is not an object
	}
	if err := s.root.Remove(key); err != nil && !errors.Is(err, os.ErrNotExist) {
		return s.pathError("delete", key, err)
	}
	// best effort: a directory still holding a file is not removed, and a
	// Put creating a file in one being removed tries again
	for dir := path.Dir(key); dir != "."; dir = path.Dir(dir) {
		if s.root.Remove(dir) != nil {
			break
		}
	}
	return nil
}

// isNotDir: a segment of the key is a file ("a" when opening "a/b").
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }
