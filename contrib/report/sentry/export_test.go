package sentry

// WithRand draws the sampling decisions from f instead of math/rand, for
// tests that need them known.
func WithRand(f func() float64) Option { return func(o *options) { o.rand = f } }
