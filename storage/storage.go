// Package storage is gox's file storage: a small contract for storing
// objects (a stream of bytes under a key, with a content type and user
// metadata) that every backend implements, the one key syntax they all
// accept (ValidateKey), the errors they return, HMAC-signed URLs (URLSigner)
// and Memory, an in-process Store for tests and for services that keep
// nothing across restarts.
//
// Backends:
//
//   - Memory, here: a public in-memory double.
//   - storage/disk: a directory on local disk, with atomic writes, keys that
//     cannot escape the root, and signed URLs served by a gox HTTP route.
//   - contrib/storage/s3: any S3-compatible server (its own module).
//
// storage/storagehttp turns a Store into gox HTTP routes: an upload helper
// (streamed, size-limited, content type sniffed) and a download helper
// (Range, ETag, If-None-Match, Content-Disposition). storage/storagetest is
// the contract suite every backend passes.
//
// Every method takes a context first and is safe for concurrent use. Errors
// are gox coded errors (package github.com/goxkit/gox/errors), so a handler
// that returns one answers with the right status: ErrNotExist is a 404,
// ErrInvalidKey a 400, ErrTooLarge a 413, ErrInvalidRange a 416. Test them
// with errors.Is.
//
// This package does not do access control, versioning or multi-object
// transactions: a Put replaces an object whole, and the last writer wins.
package storage

import (
	"context"
	"io"
	"time"
)

// Store is a flat namespace of objects keyed by strings (see ValidateKey).
// All methods are safe for concurrent use.
type Store interface {
	// Put stores the bytes of r under key, replacing any object there. The
	// object appears whole or not at all: a reader of key sees the old or
	// the new object, never part of one, and a failed Put (r's error, ctx
	// cancelled, opts.MaxSize exceeded, disk full) leaves the old object (or
	// none) and nothing else behind. Concurrent Puts to one key: the last
	// to finish wins. It returns the Info of the stored object.
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Info, error)
	// Get opens key for reading. The Info is the whole object's, also when
	// opts asks for a range; the reader yields the range. The caller closes
	// the reader. A missing key is ErrNotExist; a range starting at or past
	// the end of the object (other than Offset 0) is ErrInvalidRange.
	Get(ctx context.Context, key string, opts GetOptions) (io.ReadCloser, Info, error)
	// Stat returns the Info of key, or ErrNotExist.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes key. Deleting a key that does not exist is not an
	// error (as on S3), so a retried Delete succeeds.
	Delete(ctx context.Context, key string) error
	// List returns the objects whose keys start with prefix, in ascending
	// byte order of their keys, one page at a time: pass the returned
	// Next as page.Token for the following page; an empty Next means the
	// listing is complete. A page resumes after the last key of the previous
	// one, so objects put or deleted while listing never make a key appear
	// twice or skip one that existed throughout. prefix need not be a valid
	// key ("" lists everything, "photos/" a "directory").
	List(ctx context.Context, prefix string, page Page) (ListResult, error)
}

// Signer is implemented by a Store that can hand out URLs granting access to
// one key without credentials, until they expire.
type Signer interface {
	// SignedURL returns a URL through which method (http.MethodGet or
	// http.MethodPut) may be applied to key until ttl has passed.
	SignedURL(ctx context.Context, key, method string, ttl time.Duration) (string, error)
}

// Info describes a stored object.
type Info struct {
	// Key is the object's key.
	Key string
	// Size is the length of the whole object in bytes.
	Size int64
	// ContentType is the media type given to Put, or
	// "application/octet-stream" when none was.
	ContentType string
	// ETag identifies the object's content: it changes when the content
	// changes. It is opaque and unquoted (an HTTP helper quotes it); backends
	// differ in how they compute it.
	ETag string
	// ModTime is when the object was stored.
	ModTime time.Time
	// Metadata is the user metadata given to Put. List may leave it (and
	// ContentType) empty: Stat has them.
	Metadata map[string]string
}

// DefaultContentType is the content type of an object stored without one.
const DefaultContentType = "application/octet-stream"

// PutOptions are the options of Put. The zero value stores the content with
// DefaultContentType, no metadata and no size limit.
type PutOptions struct {
	// ContentType is the media type stored with the object.
	ContentType string
	// Metadata is user metadata stored with the object. Keys are
	// case-insensitive ASCII tokens, stored lower-cased; see
	// ValidateMetadata for the limits every backend accepts.
	Metadata map[string]string
	// MaxSize, when > 0, is the largest object accepted: a reader yielding
	// more fails the Put with ErrTooLarge, and nothing is stored.
	MaxSize int64
	// Size, when > 0, is the length of the content if known in advance. It
	// is a hint (an S3 backend picks its part size from it); it is not
	// checked.
	Size int64
}

// GetOptions are the options of Get. The zero value reads the whole object.
type GetOptions struct {
	// Offset is the first byte to read. It must be less than the object's
	// size, except that 0 is always valid.
	Offset int64
	// Length is how many bytes to read from Offset; 0 (or less) reads to the
	// end, and a length past the end is cut at the end.
	Length int64
}

// Page selects a page of a List.
type Page struct {
	// Token is the Next of the previous page, or "" for the first page.
	Token string
	// Limit is the largest number of items in the page: 0 means
	// DefaultPageLimit, and it is at most MaxPageLimit.
	Limit int
}

// Page limits of List.
const (
	DefaultPageLimit = 1000
	MaxPageLimit     = 1000
)

// ListResult is a page of a List.
type ListResult struct {
	// Items are the objects of the page, in ascending key order.
	Items []Info
	// Next is the token of the following page, or "" at the end.
	Next string
}

// EffectiveLimit returns the page's effective limit: Limit clamped to
// [1, MaxPageLimit], DefaultPageLimit for 0 or less.
func (p Page) EffectiveLimit() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageLimit
	case p.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return p.Limit
}
