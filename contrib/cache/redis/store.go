package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/goxkit/gox/cache"
)

// Store is a cache.Store on Redis. Every key is stored as prefix+key.
type Store struct {
	c      goredis.UniversalClient
	prefix string
}

var _ cache.Store = (*Store)(nil)

// NewStore returns a Store writing under prefix, which must be non-empty and
// free of glob characters (Flush deletes prefix*).
func NewStore(c goredis.UniversalClient, prefix string) (*Store, error) {
	cfg := DefaultConfig()
	cfg.Prefix = prefix
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Store{c: c, prefix: prefix}, nil
}

func (s *Store) key(k string) string { return s.prefix + k }

// Fetch implements cache.Store.
func (s *Store) Fetch(ctx context.Context, key string) ([]byte, error) {
	b, err := s.c.Get(ctx, s.key(key)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, cache.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("redis: get %q: %w", key, err)
	}
	return b, nil
}

// FetchMulti implements cache.Store with one pipeline of GETs, which a
// cluster splits by node (MGET would fail across slots).
func (s *Store) FetchMulti(ctx context.Context, keys []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	cmds := make([]*goredis.StringCmd, len(keys))
	_, err := s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, s.key(k))
		}
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis: get of %d keys: %w", len(keys), err)
	}
	for i, cmd := range cmds {
		b, err := cmd.Bytes()
		switch {
		case err == nil:
			out[keys[i]] = b
		case !errors.Is(err, goredis.Nil):
			return nil, fmt.Errorf("redis: get %q: %w", keys[i], err)
		}
	}
	return out, nil
}

// Contains implements cache.Store.
func (s *Store) Contains(ctx context.Context, key string) (bool, error) {
	n, err := s.c.Exists(ctx, s.key(key)).Result()
	if err != nil {
		return false, fmt.Errorf("redis: exists %q: %w", key, err)
	}
	return n == 1, nil
}

// Save implements cache.Store. A ttl under a millisecond is rounded up to one.
func (s *Store) Save(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl > 0 && ttl < time.Millisecond {
		ttl = time.Millisecond
	}
	if ttl < 0 {
		ttl = 0
	}
	if err := s.c.Set(ctx, s.key(key), value, ttl).Err(); err != nil {
		return fmt.Errorf("redis: set %q: %w", key, err)
	}
	return nil
}

// Delete implements cache.Store with UNLINK per key in one pipeline.
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, k := range keys {
			p.Unlink(ctx, s.key(k))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis: delete of %d keys: %w", len(keys), err)
	}
	return nil
}

// Flush implements cache.Store: it SCANs for prefix* on every master and
// UNLINKs what it finds, in batches. It never runs FLUSHDB.
func (s *Store) Flush(ctx context.Context) error {
	flush := func(ctx context.Context, c goredis.UniversalClient) error {
		iter := c.Scan(ctx, 0, s.prefix+"*", 500).Iterator()
		batch := make([]string, 0, 500)
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == cap(batch) {
				if err := unlink(ctx, c, batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return unlink(ctx, c, batch)
	}
	var err error
	if cc, ok := s.c.(*goredis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error { return flush(ctx, c) })
	} else {
		err = flush(ctx, s.c)
	}
	if err != nil {
		return fmt.Errorf("redis: flush of %s*: %w", s.prefix, err)
	}
	return nil
}

func unlink(ctx context.Context, c goredis.UniversalClient, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, k := range keys {
			p.Unlink(ctx, k)
		}
		return nil
	})
	return err
}

// Ping checks that Redis answers, for a readiness check.
func (s *Store) Ping(ctx context.Context) error { return s.c.Ping(ctx).Err() }
