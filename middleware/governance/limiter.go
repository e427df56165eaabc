package governance

import (
	"context"
	"fmt"
	"time"
)

// Rate is how many calls a limit admits: Limit per Per, with bursts of up
// to Burst calls above the steady pace.
type Rate struct {
	// Limit is how many calls are admitted each Per (> 0).
	Limit int `yaml:"limit"`
	// Per is the period Limit counts over (default 1 s).
	Per time.Duration `yaml:"per"`
	// Burst is how many calls may go at once after a quiet spell (default
	// Limit; at least 1).
	Burst int `yaml:"burst"`
}

// Validate names what is wrong with r.
func (r Rate) Validate() error {
	switch {
	case r.Limit <= 0:
		return fmt.Errorf("limit must be positive, got %d", r.Limit)
	case r.Per <= 0:
		return fmt.Errorf("per must be positive, got %s", r.Per)
	case r.Burst < 1:
		return fmt.Errorf("burst must be at least 1, got %d", r.Burst)
	}
	return nil
}

// Limiter admits calls under a key at a Rate. gox's own token bucket and
// sliding window keep their state in the process; a distributed Limiter
// (contrib/ratelimit/redis) shares one limit between every replica.
type Limiter interface {
	// Reserve takes one call's worth of the limit of key. When the call may
	// go now, or after waiting at most maxWait, ok is true and wait says how
	// long the caller must wait first (0: at once); the call is counted
	// either way. When it may not, ok is false and wait is how long until
	// it could (always > 0: a Retry-After). err is a failure of the
	// Limiter's own store; the caller then admits or refuses as its policy
	// says.
	Reserve(ctx context.Context, key string, maxWait time.Duration) (wait time.Duration, ok bool, err error)
}

// LimiterFactory makes the Limiter of one rule's Rate; a policy names the
// factory by the name it was given to WithLimiters ("redis").
type LimiterFactory func(r Rate) (Limiter, error)
