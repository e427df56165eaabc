// Package ratelimit holds gox's in-process rate-limit algorithms and the
// bounded per-key store they live in. It owns the arithmetic of admitting a
// call, not the policy around it: middleware/governance decides which calls a
// limit applies to, what key they share and what a refusal looks like on the
// wire, and wraps a Limiter from here as its local governance.Limiter.
//
// # Token bucket
//
// TokenBucket is golang.org/x/time/rate: a bucket of Burst tokens refilled at
// Limit/Per tokens a second. A call takes one token. After a quiet spell Burst
// calls go at once, then one every Per/Limit.
//
// # Sliding window
//
// SlidingWindow admits at most Limit calls in any span of Per, strictly. It
// does not keep a log of call times (Limit of them per key) but counts calls
// in 21 slices of Per/20, keeping for each slice the time of its latest call.
// A call in slice s counts the calls of slices s-20 to s, which cover every
// span of Per ending in slice s, less those of slice s-20 once its latest call
// is Per old. The count is never short, so the bound holds for every span of
// Per, not just on slice edges; it is long only while the oldest slice holds
// calls of which some, not all, are Per old, so a call is refused at most one
// slice, Per/20, before an exact log would admit it. The count is exact while
// calls are at least Per/20 apart: with a Limit of 20 or less, a client
// keeping to Limit calls per Per is never refused. Burst does not apply.
//
// # Waiting and Retry-After
//
// Both algorithms answer Reserve(key, maxWait) alike. If the call may go now,
// or after a wait of at most maxWait, it is counted (for the window, in the
// slice it will run in) and Reserve returns that wait. Calls queue in order:
// a call never overtakes one reserved before it. Otherwise nothing is counted
// (a refusal never uses up the limit) and Reserve returns how long until the
// call could go without waiting, given the calls already counted, rounded up
// to a whole millisecond, so at least 1 ms: a Retry-After.
//
// # The bound on keys
//
// Keyed holds one limiter per key, created on a key's first call, and at most
// MaxKeys of them (DefaultMaxKeys unless told), so a flood of distinct keys
// (one per client address, say) costs a fixed amount of memory. Past the
// bound it forgets the least recently used key of the shard the new key falls
// in: the key space is split in shards, each with its own lock and
// recency list, so calls on different keys rarely wait for each other, and
// recency is per shard, not global. A key forgotten and then seen again
// starts afresh (a full bucket, an empty window): that is the cost of the
// bound, and why it should exceed the number of keys active at once.
//
// Every time is read from an injected clock, never from time.Now directly.
package ratelimit
