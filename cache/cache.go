package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/goxkit/gox/conc/singleflight"
	xerrors "github.com/goxkit/gox/errors"
)

// Cache is a typed cache over a Store. It is safe for concurrent use.
type Cache[T any] struct {
	store Store
	o     options
	group singleflight.Group[string, T]
}

type options struct {
	codec       Codec
	ttl         time.Duration
	jitter      float64
	negativeTTL time.Duration
	maxBytes    int
	fallback    bool
	notFound    func(error) bool
	onError     func(ctx context.Context, key string, err error)
}

// Option configures a Cache.
type Option func(*options)

// WithCodec sets the codec (JSON by default).
func WithCodec(c Codec) Option { return func(o *options) { o.codec = c } }

// WithTTL sets the TTL of Save and GetOrLoad (10 minutes by default; <= 0 keeps
// entries until the store evicts them).
func WithTTL(d time.Duration) Option { return func(o *options) { o.ttl = d } }

// WithJitter shortens each TTL by a random part of up to f (0 to 1) of it, so
// that entries written together do not expire together. Default 0.1.
func WithJitter(f float64) Option { return func(o *options) { o.jitter = min(max(f, 0), 1) } }

// WithNegativeTTL makes GetOrLoad remember for d that the loader found nothing,
// so that lookups of absent keys do not all reach the loader. Off by default.
func WithNegativeTTL(d time.Duration) Option { return func(o *options) { o.negativeTTL = d } }

// WithMaxValueBytes refuses encoded values larger than n bytes (1 MiB by
// default; <= 0 for no limit).
func WithMaxValueBytes(n int) Option { return func(o *options) { o.maxBytes = n } }

// WithLoaderFallback makes GetOrLoad call the loader when the store fails
// (Redis down, say) instead of returning the store's error.
func WithLoaderFallback() Option { return func(o *options) { o.fallback = true } }

// WithNotFound sets how GetOrLoad recognises a loader's "does not exist"
// error; by default ErrNotFound or any gox error with code 404.
func WithNotFound(f func(error) bool) Option { return func(o *options) { o.notFound = f } }

// WithErrorHandler receives the errors GetOrLoad does not return: a failed
// write-back after a successful load, an undecodable entry it replaced. By
// default they are logged at warn level with slog.Default.
func WithErrorHandler(f func(ctx context.Context, key string, err error)) Option {
	return func(o *options) { o.onError = f }
}

// New returns a Cache of T over s.
func New[T any](s Store, opts ...Option) *Cache[T] {
	o := options{codec: JSON, ttl: 10 * time.Minute, jitter: 0.1, maxBytes: 1 << 20,
		notFound: func(err error) bool {
			return errors.Is(err, ErrNotFound) || xerrors.Code(err) == 404
		},
		onError: func(ctx context.Context, key string, err error) {
			slog.Default().WarnContext(ctx, "cache", "key", key, "error", err.Error())
		},
	}
	for _, f := range opts {
		f(&o)
	}
	return &Cache[T]{store: s, o: o}
}

// Store returns the underlying store.
func (c *Cache[T]) Store() Store { return c.store }

// negative is what a remembered "not found" is stored as. No JSON value
// starts with a NUL byte, so it cannot collide with a JSON-encoded value.
var negative = []byte("\x00gox:cache:not-found\x00")

// DecodeError reports a stored value the codec could not decode.
type DecodeError struct {
	Key string
	Err error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("cache: cannot decode the value of key %q: %v", e.Key, e.Err)
}
func (e *DecodeError) Unwrap() error { return e.Err }

// TooLargeError reports a value over the size limit; nothing was stored.
type TooLargeError struct {
	Key       string
	Size, Max int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("cache: the value of key %q is %d bytes, over the limit of %d (max value bytes); not stored", e.Key, e.Size, e.Max)
}

func (c *Cache[T]) decode(key string, b []byte) (T, error) {
	var v T
	if bytes.Equal(b, negative) {
		return v, ErrNotFound
	}
	if err := c.o.codec.Unmarshal(b, &v); err != nil {
		return v, &DecodeError{Key: key, Err: err}
	}
	return v, nil
}

func (c *Cache[T]) encode(key string, v T) ([]byte, error) {
	b, err := c.o.codec.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cache: cannot encode the value of key %q: %w", key, err)
	}
	if c.o.maxBytes > 0 && len(b) > c.o.maxBytes {
		return nil, &TooLargeError{Key: key, Size: len(b), Max: c.o.maxBytes}
	}
	return b, nil
}

func (c *Cache[T]) ttlOf(ttl time.Duration) time.Duration {
	if ttl > 0 && c.o.jitter > 0 {
		ttl -= time.Duration(rand.Int64N(int64(float64(ttl)*c.o.jitter) + 1))
	}
	return ttl
}

// Fetch returns the value of key: ErrNotFound when absent (or remembered as
// absent), a *DecodeError when the stored bytes do not decode.
func (c *Cache[T]) Fetch(ctx context.Context, key string) (T, error) {
	b, err := c.store.Fetch(ctx, key)
	if err != nil {
		var zero T
		return zero, err
	}
	return c.decode(key, b)
}

// FetchMulti returns the values of the keys present. A value that does not
// decode fails the call with a *DecodeError naming its key.
func (c *Cache[T]) FetchMulti(ctx context.Context, keys []string) (map[string]T, error) {
	raw, err := c.store.FetchMulti(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]T, len(raw))
	for k, b := range raw {
		v, err := c.decode(k, b)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// Contains reports whether key holds a value (a remembered "not found" does not count).
func (c *Cache[T]) Contains(ctx context.Context, key string) (bool, error) {
	if c.o.negativeTTL <= 0 {
		return c.store.Contains(ctx, key)
	}
	b, err := c.store.Fetch(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil && !bytes.Equal(b, negative), err
}

// Save stores v under key with the cache's TTL (less jitter).
func (c *Cache[T]) Save(ctx context.Context, key string, v T) error {
	return c.SaveTTL(ctx, key, v, c.o.ttl)
}

// SaveTTL stores v under key for ttl (less jitter); ttl <= 0 keeps it until evicted.
func (c *Cache[T]) SaveTTL(ctx context.Context, key string, v T, ttl time.Duration) error {
	b, err := c.encode(key, v)
	if err != nil {
		return err
	}
	return c.store.Save(ctx, key, b, c.ttlOf(ttl))
}

// Delete removes the keys.
func (c *Cache[T]) Delete(ctx context.Context, keys ...string) error {
	return c.store.Delete(ctx, keys...)
}

// Flush removes every key of the store (only its own prefix on a shared server).
func (c *Cache[T]) Flush(ctx context.Context) error { return c.store.Flush(ctx) }

// GetOrLoad returns the cached value of key, or calls load, caches what it
// returns and returns it. Concurrent misses on one key in this process call
// load once and share its result. The loader runs with ctx's values and
// deadline but not its cancellation, so one caller giving up does not fail
// the others; each caller still returns when its own ctx is done.
//
// A loader "not found" (see WithNotFound) is returned as is and, with
// WithNegativeTTL, remembered. An entry that does not decode (written by an
// older version of the type, say) is treated as a miss and replaced. When
// the store fails, the error is returned, or with WithLoaderFallback the
// loader's result is. A loaded value that cannot be written back (too large,
// store down) is still returned; the handler set by WithErrorHandler hears of it.
func (c *Cache[T]) GetOrLoad(ctx context.Context, key string, load func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	b, err := c.store.Fetch(ctx, key)
	switch {
	case err == nil:
		v, derr := c.decode(key, b)
		var de *DecodeError
		if !errors.As(derr, &de) {
			return v, derr // a value, or a remembered not-found
		}
		c.o.onError(ctx, key, derr)
	case errors.Is(err, ErrNotFound):
	case !c.o.fallback:
		return zero, err
	default:
		c.o.onError(ctx, key, err)
	}
	v, _, err := c.group.Do(ctx, key, func(lctx context.Context) (v T, err error) {
		defer func() { // a panic is the callers' error, naming the key
			if p := recover(); p != nil {
				err = xerrors.Internal("LOADER_PANIC", fmt.Sprintf("cache: the loader of key %q panicked: %v", key, p))
			}
		}()
		// A caller that missed just before the previous flight stored its
		// value starts a new flight; looking again spares the loader.
		if b, err := c.store.Fetch(lctx, key); err == nil {
			if v, derr := c.decode(key, b); derr == nil || errors.Is(derr, ErrNotFound) {
				return v, derr
			}
		}
		v, err = load(lctx)
		switch {
		case err == nil:
			if serr := c.Save(lctx, key, v); serr != nil {
				c.o.onError(ctx, key, serr)
			}
		case c.o.notFound(err) && c.o.negativeTTL > 0:
			if serr := c.store.Save(lctx, key, negative, c.o.negativeTTL); serr != nil {
				c.o.onError(ctx, key, serr)
			}
		}
		return v, err
	})
	if err != nil {
		return zero, err
	}
	return v, nil
}
