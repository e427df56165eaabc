package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bsm/redislock"
	goredis "github.com/redis/go-redis/v9"

	"github.com/goxkit/gox/lock"
)

// LockConfig tunes the Redis locks.
type LockConfig struct {
	// TTL is how long a lock outlives a holder that died without releasing
	// it. A live holder renews it every TTL/3.
	TTL time.Duration `yaml:"ttl"`
	// RetryMin and RetryMax bound the exponential backoff between attempts
	// to take a held lock.
	RetryMin time.Duration `yaml:"retry_min"`
	RetryMax time.Duration `yaml:"retry_max"`
}

// DefaultLockConfig: 30 s TTL, retries from 10 ms to 500 ms.
func DefaultLockConfig() LockConfig {
	return LockConfig{TTL: 30 * time.Second, RetryMin: 10 * time.Millisecond, RetryMax: 500 * time.Millisecond}
}

func (c LockConfig) validate() error {
	switch {
	case c.TTL < 30*time.Millisecond:
		return fmt.Errorf("redis: lock.ttl %v is under 30ms; renewal every ttl/3 could not keep up", c.TTL)
	case c.RetryMin <= 0 || c.RetryMax < c.RetryMin:
		return fmt.Errorf("redis: lock.retry_min %v and lock.retry_max %v must be positive and in order", c.RetryMin, c.RetryMax)
	}
	return nil
}

// Locker is a lock.Locker on Redis (bsm/redislock: SET NX PX with a random
// owner token; only the owner's token releases or renews).
type Locker struct {
	rl     *redislock.Client
	prefix string
	c      LockConfig
}

var _ lock.Locker = (*Locker)(nil)

// NewLocker returns a Locker whose keys are prefix+"lock:"+name.
func NewLocker(client goredis.UniversalClient, prefix string, c LockConfig) (*Locker, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &Locker{rl: redislock.New(client), prefix: prefix + "lock:", c: c}, nil
}

// Obtain implements lock.Locker: it retries with backoff until the lock is
// free or ctx is done, then renews it every TTL/3 until Release.
func (l *Locker) Obtain(ctx context.Context, key string) (lock.Lock, error) {
	for {
		// redislock stops retrying after one TTL when ctx has no deadline;
		// the contract is to wait for ctx, so go round again.
		rl, err := l.rl.Obtain(ctx, l.prefix+key, l.c.TTL,
			&redislock.Options{RetryStrategy: redislock.ExponentialBackoff(l.c.RetryMin, l.c.RetryMax)})
		if err == nil {
			return l.hold(key, rl), nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !errors.Is(err, redislock.ErrNotObtained) && !errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("redis: obtain lock %q: %w", key, err)
		}
	}
}

type held struct {
	key     string
	rl      *redislock.Lock
	lost    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	release sync.Once
}

func (l *Locker) hold(key string, rl *redislock.Lock) *held {
	h := &held{key: key, rl: rl, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go h.renew(l.c.TTL)
	return h
}

// renew extends the TTL every ttl/3. A transient error is retried at the
// next tick; when the lock is gone, or the TTL has run out since the last
// renewal, Lost is closed.
func (h *held) renew(ttl time.Duration) {
	defer close(h.done)
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	renewed := time.Now()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), ttl/3)
		err := h.rl.Refresh(ctx, ttl, nil)
		cancel()
		switch {
		case err == nil:
			renewed = time.Now()
		case errors.Is(err, redislock.ErrNotObtained) || time.Since(renewed) >= ttl:
			close(h.lost)
			return
		}
	}
}

func (h *held) Key() string           { return h.key }
func (h *held) Lost() <-chan struct{} { return h.lost }

// Release implements lock.Lock.
func (h *held) Release(ctx context.Context) error {
	err := lock.ErrNotHeld
	h.release.Do(func() {
		close(h.stop)
		<-h.done
		select {
		case <-h.lost:
			return
		default:
		}
		err = h.rl.Release(ctx)
		if errors.Is(err, redislock.ErrLockNotHeld) {
			err = lock.ErrNotHeld
		} else if err != nil {
			err = fmt.Errorf("redis: release lock %q: %w", h.key, err)
		}
	})
	return err
}
