// Package governance keeps a gox service up when it is offered more than it
// can do: rate limits (local, or shared through a distributed Limiter),
// adaptive load shedding, bulkheads and fallbacks, declared per operation in
// one policy.
package governance
