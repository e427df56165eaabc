package casbin

import "time"

// WithTicks makes the adapter's reload interval tick when the test sends on
// ch, instead of on a real ticker.
func WithTicks(ch <-chan time.Time) Option {
	return func(z *Authorizer) {
		z.ticker = func(time.Duration) (<-chan time.Time, func()) { return ch, func() {} }
	}
}

// CachedDecisions is how many decisions the policies in force keep.
func (z *Authorizer) CachedDecisions() int {
	if d := z.policies.Load().decisions; d != nil {
		return d.len()
	}
	return 0
}
