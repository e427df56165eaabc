package redis

import "time"

// WithClock times the script by now instead of Redis's TIME, so that tests
// drive the schedule without sleeping.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }
