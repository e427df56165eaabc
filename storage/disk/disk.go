// Package disk is a storage.Store in a directory on local disk.
//
// Each object is one file at <root>/<key>: the content, then a trailer
// holding the content type, user metadata, ETag and modification time (JSON,
// its length and a magic number). Keeping them in the object's own file
// rather than in a sidecar file or extended attributes makes a Put one atomic
// rename: a reader sees the old object or the new one, content and metadata
// together, never a mix; it works on every file system; and a range read is a
// plain offset into the file, since the content comes first. The files are
// therefore not the bare content: read them through the Store.
//
// Writes are atomic and durable: a Put writes a temporary file
// (".gox-tmp-*") in the key's directory, fsyncs it, renames it over the key
// and fsyncs the directory. A Put that fails for any reason (the reader's
// error, a cancelled context, the size limit, a full or read-only disk)
// removes its temporary file and leaves the old object as it was; its error
// names the file. Concurrent Puts to one key: the last rename wins.
//
// Nothing escapes the root: keys are checked by storage.ValidateKey (no
// "..", no absolute paths, no control bytes) and every file is reached
// through an os.Root, which refuses to follow a symbolic link (or "..")
// out of the directory, so a symlink planted under the root cannot expose
// /etc. Key segments starting with ".gox-tmp-" are reserved.
//
// A key is a path, so one key cannot be both an object and the "directory"
// of others ("a" and "a/b"): the second Put fails with an error naming the
// path. On a case-insensitive file system keys differing in case are one
// object. Deleting the last object of a directory removes the directory.
//
// List walks the tree in key order (pruning directories outside the prefix or
// before the page token) and resumes after the last key of the previous page,
// so objects written while paging are never listed twice. Files that are not
// objects written by this package (no trailer) and symbolic links are not
// listed.
//
// With WithSigning, the Store is a storage.Signer: SignedURL returns a URL
// to a gox HTTP route (storagehttp.Signed) carrying an HMAC-SHA256 over the
// method, key and expiry.
package disk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/goxkit/gox/storage"
)

// tmpPrefix starts the name of every temporary file; keys may not use it.
const tmpPrefix = ".gox-tmp-"

// Store is a storage.Store in a directory. It is safe for concurrent use,
// also by several processes sharing the directory.
type Store struct {
	dir    string
	root   *os.Root
	now    func() time.Time
	signer *storage.URLSigner
	// wrap, when set (tests), wraps the temporary file's writer, to inject
	// a failing disk.
	wrap func(io.Writer) io.Writer
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock that stamps ModTime (time.Now by default).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithSigning makes the Store a storage.Signer whose URLs the signer makes:
// see storage.NewURLSigner and storagehttp.Signed, the route serving them.
func WithSigning(signer *storage.URLSigner) Option { return func(s *Store) { s.signer = signer } }

var (
	_ storage.Store  = (*Store)(nil)
	_ storage.Signer = (*Store)(nil)
)

// New returns a Store keeping objects under dir, which it creates if
// missing. Close releases the directory.
func New(dir string, opts ...Option) (*Store, error) {
	if dir == "" {
		return nil, errors.New("storage/disk: no directory given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("storage/disk: directory %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("storage/disk: creating directory: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("storage/disk: opening directory: %w", err)
	}
	s := &Store{dir: abs, root: root, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Dir returns the absolute path of the Store's directory.
func (s *Store) Dir() string { return s.dir }

// Close releases the directory. The Store is not usable after.
func (s *Store) Close() error { return s.root.Close() }

// SignedURL implements storage.Signer. It fails unless the Store was made
// WithSigning.
func (s *Store) SignedURL(ctx context.Context, key, method string, ttl time.Duration) (string, error) {
	if s.signer == nil {
		return "", errors.New("storage/disk: signed URLs need a signer (disk.WithSigning)")
	}
	if err := s.checkKey(key); err != nil {
		return "", err
	}
	return s.signer.Sign(key, method, ttl)
}

// checkKey is storage.ValidateKey plus the reserved segment prefix.
func (s *Store) checkKey(key string) error {
	if err := storage.ValidateKey(key); err != nil {
		return err
	}
	for seg := range strings.SplitSeq(key, "/") {
		if strings.HasPrefix(seg, tmpPrefix) {
			return storage.ErrInvalidKey.WithMessage("storage: invalid key %q: segments starting with %q are reserved by the disk store", key, tmpPrefix)
		}
	}
	return nil
}

// path returns the absolute file name of a root-relative name, for errors.
func (s *Store) path(name string) string { return filepath.Join(s.dir, filepath.FromSlash(name)) }

// pathError rewrites the root-relative name in err into an absolute one, so
// that an error names the file a person can look at.
func (s *Store) pathError(op, key string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		pe = &fs.PathError{Op: pe.Op, Path: s.path(pe.Path), Err: pe.Err}
		return fmt.Errorf("storage/disk: %s %q: %w", op, key, pe)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		le = &os.LinkError{Op: le.Op, Old: s.path(le.Old), New: s.path(le.New), Err: le.Err}
		return fmt.Errorf("storage/disk: %s %q: %w", op, key, le)
	}
	return fmt.Errorf("storage/disk: %s %q (under %s): %w", op, key, s.dir, err)
}

func tmpName(dir string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return path.Join(dir, tmpPrefix+hex.EncodeToString(b[:]))
}
