package disk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"

	"github.com/goxkit/gox/storage"
)

// Put implements storage.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, opts storage.PutOptions) (storage.Info, error) {
	md, err := storage.ValidatePut(key, opts)
	if err != nil {
		return storage.Info{}, err
	}
	if err := s.checkKey(key); err != nil {
		return storage.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return storage.Info{}, err
	}
	dir := path.Dir(key)
	f, tmp, err := s.createTemp(dir)
	if err != nil {
		if isNotDir(err) || errors.Is(err, fs.ErrExist) {
			return storage.Info{}, fmt.Errorf("storage/disk: put %q: a parent of %s is an object, not a directory: %w", key, s.path(key), err)
		}
		return storage.Info{}, s.pathError("put", key, err)
	}
	info, err := s.write(ctx, f, tmp, key, r, opts, md)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = s.pathError("put", key, cerr)
	}
	if err == nil {
		if err = s.root.Rename(tmp, key); err != nil {
			err = s.renameError(key, err)
		}
	}
	if err != nil {
		_ = s.root.Remove(tmp)
		return storage.Info{}, err
	}
	if err := s.syncDir(dir); err != nil {
		return storage.Info{}, s.pathError("put", key, err)
	}
	return info, nil
}

func (s *Store) renameError(key string, err error) error {
	if fi, serr := s.root.Lstat(key); serr == nil && fi.IsDir() {
		return fmt.Errorf("storage/disk: put %q: %s is a directory holding other keys, so it cannot be an object: %w", key, s.path(key), err)
	}
	return s.pathError("put", key, err)
}

// createTemp creates a temporary file in dir, creating dir first. A Delete
// removing the emptied dir in between makes it try again.
func (s *Store) createTemp(dir string) (*os.File, string, error) {
	var err error
	for range 5 {
		if dir != "." {
			if err = s.root.MkdirAll(dir, 0o755); err != nil {
				return nil, "", err
			}
		}
		tmp := tmpName(dir)
		var f *os.File
		f, err = s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return f, tmp, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", err
		}
	}
	return nil, "", err
}

// write copies r into f, then the trailer, and fsyncs f.
func (s *Store) write(ctx context.Context, f *os.File, tmp, key string, r io.Reader, opts storage.PutOptions, md map[string]string) (storage.Info, error) {
	w := &fileWriter{w: f}
	if s.wrap != nil {
		w.w = s.wrap(f)
	}
	h := sha256.New()
	src := storage.NewContextReader(ctx, r)
	if opts.MaxSize > 0 {
		src = io.LimitReader(src, opts.MaxSize+1)
	}
	buf := bufPool.Get().(*[]byte)
	n, err := io.CopyBuffer(io.MultiWriter(w, h), src, *buf)
	bufPool.Put(buf)
	if err != nil {
		if w.err == nil { // the reader's error, or the context's
			return storage.Info{}, fmt.Errorf("storage/disk: put %q: reading the content: %w", key, err)
		}
		return storage.Info{}, s.pathError("put", key, &fs.PathError{Op: "write", Path: tmp, Err: w.err})
	}
	if opts.MaxSize > 0 && n > opts.MaxSize {
		return storage.Info{}, storage.TooLarge(key, opts.MaxSize)
	}
	info := storage.Info{
		Key: key, Size: n, ContentType: contentType(opts.ContentType),
		ETag: hex.EncodeToString(h.Sum(nil)[:16]), ModTime: s.now().UTC(), Metadata: md,
	}
	if _, err := w.Write(encodeTrailer(info)); err != nil {
		return storage.Info{}, s.pathError("put", key, &fs.PathError{Op: "write", Path: tmp, Err: err})
	}
	if err := f.Sync(); err != nil {
		return storage.Info{}, s.pathError("put", key, &fs.PathError{Op: "fsync", Path: tmp, Err: err})
	}
	return info, nil
}

// bufPool holds Put's copy buffers: 64 KiB, not io.Copy's 32 KiB, for
// fewer write calls on large objects.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// fileWriter remembers a write error, to tell it from the reader's.
type fileWriter struct {
	w   io.Writer
	err error
}

func (f *fileWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err != nil {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err // named again, root-relative, by the caller
		}
		f.err = err
	}
	return n, err
}

func (s *Store) syncDir(dir string) error {
	d, err := s.root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func contentType(ct string) string {
	if ct == "" {
		return storage.DefaultContentType
	}
	return ct
}
