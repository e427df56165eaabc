package dbbroker

import "time"

// SetClock makes b count the backlog at now() and sample at each value
// sent on ticks instead of every backlog_interval. Call it before
// Collector.
func SetClock(b *Broker, now func() time.Time, ticks <-chan time.Time) {
	b.now = now
	b.tick = func(time.Duration) (<-chan time.Time, func()) { return ticks, func() {} }
}

// BacklogQuery is the statement Broker.Backlog runs.
const BacklogQuery = backlogQuery
