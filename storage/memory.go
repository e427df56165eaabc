package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Memory is a Store that keeps objects in process memory: the public
// in-memory double for tests, and a store for data that need not survive a
// restart. Objects are held whole, so it is not for large content; a limit on
// the bytes it holds (WithMemoryLimit) makes a Put that would exceed it fail
// with ErrTooLarge.
type Memory struct {
	mu      sync.RWMutex
	objects map[string]*memObject
	keys    []string // sorted, for List
	bytes   int64
	limit   int64
	now     func() time.Time
}

type memObject struct {
	info Info
	data []byte
}

// MemoryOption configures a Memory.
type MemoryOption func(*Memory)

// WithMemoryLimit caps the bytes of content a Memory holds (0: no limit).
func WithMemoryLimit(n int64) MemoryOption { return func(m *Memory) { m.limit = n } }

// WithMemoryClock sets the clock that stamps ModTime (time.Now by default).
func WithMemoryClock(now func() time.Time) MemoryOption { return func(m *Memory) { m.now = now } }

// NewMemory returns an empty Memory.
func NewMemory(opts ...MemoryOption) *Memory {
	m := &Memory{objects: map[string]*memObject{}, now: time.Now}
	for _, o := range opts {
		o(m)
	}
	return m
}

var _ Store = (*Memory)(nil)

// Put implements Store.
func (m *Memory) Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Info, error) {
	md, err := ValidatePut(key, opts)
	if err != nil {
		return Info{}, err
	}
	var buf bytes.Buffer
	src := io.Reader(ctxReader{ctx, r})
	if opts.MaxSize > 0 {
		src = io.LimitReader(src, opts.MaxSize+1)
	}
	if _, err := buf.ReadFrom(src); err != nil {
		return Info{}, err
	}
	if opts.MaxSize > 0 && int64(buf.Len()) > opts.MaxSize {
		return Info{}, TooLarge(key, opts.MaxSize)
	}
	sum := sha256.Sum256(buf.Bytes())
	info := Info{
		Key: key, Size: int64(buf.Len()), ContentType: contentType(opts.ContentType),
		ETag: hex.EncodeToString(sum[:16]), Metadata: md,
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.objects[key]
	grow := info.Size
	if old != nil {
		grow -= old.info.Size
	}
	if m.limit > 0 && m.bytes+grow > m.limit {
		return Info{}, ErrTooLarge.WithMessage("storage: object %q (%d bytes) does not fit in the memory store's limit of %d bytes", key, info.Size, m.limit)
	}
	info.ModTime = m.now()
	m.objects[key] = &memObject{info: info, data: buf.Bytes()}
	m.bytes += grow
	if old == nil {
		i, _ := slices.BinarySearch(m.keys, key)
		m.keys = slices.Insert(m.keys, i, key)
	}
	return copyInfo(info), nil
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, key string, opts GetOptions) (io.ReadCloser, Info, error) {
	info, data, err := m.lookup(ctx, key)
	if err != nil {
		return nil, Info{}, err
	}
	off, n, err := ResolveRange(key, opts, info.Size)
	if err != nil {
		return nil, Info{}, err
	}
	return io.NopCloser(bytes.NewReader(data[off : off+n])), info, nil
}

// Stat implements Store.
func (m *Memory) Stat(ctx context.Context, key string) (Info, error) {
	info, _, err := m.lookup(ctx, key)
	return info, err
}

func (m *Memory) lookup(ctx context.Context, key string) (Info, []byte, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, nil, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	o, ok := m.objects[key]
	if !ok {
		return Info{}, nil, NotExist(key)
	}
	// data is never written after Put, so it is shared, not copied
	return copyInfo(o.info), o.data, nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if o, ok := m.objects[key]; ok {
		m.bytes -= o.info.Size
		delete(m.objects, key)
		i, _ := slices.BinarySearch(m.keys, key)
		m.keys = slices.Delete(m.keys, i, i+1)
	}
	return nil
}

// List implements Store.
func (m *Memory) List(ctx context.Context, prefix string, page Page) (ListResult, error) {
	if err := ValidatePrefix(prefix); err != nil {
		return ListResult{}, err
	}
	after, err := DecodeToken(page.Token)
	if err != nil {
		return ListResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return ListResult{}, err
	}
	limit := page.EffectiveLimit()
	m.mu.RLock()
	defer m.mu.RUnlock()
	start := sort.SearchStrings(m.keys, prefix)
	if after >= prefix {
		start = sort.Search(len(m.keys), func(i int) bool { return m.keys[i] > after })
	}
	var res ListResult
	for _, k := range m.keys[start:] {
		if !strings.HasPrefix(k, prefix) {
			break
		}
		if len(res.Items) == limit {
			res.Next = EncodeToken(res.Items[limit-1].Key)
			break
		}
		res.Items = append(res.Items, copyInfo(m.objects[k].info))
	}
	return res, nil
}

func copyInfo(i Info) Info {
	i.Metadata = cloneMetadata(i.Metadata)
	return i
}

func contentType(ct string) string {
	if ct == "" {
		return DefaultContentType
	}
	return ct
}

// ctxReader fails a read once ctx is done, so that a Put of a slow or
// endless stream stops when its caller gives up.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// NewContextReader returns a reader of r that fails with ctx's error once
// ctx is done. Backends wrap the content of a Put in it.
func NewContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }
