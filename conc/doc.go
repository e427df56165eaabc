// Package conc holds gox's concurrency primitives: goroutines that cannot
// crash the process and whose failures are logged and reported, a bounded
// Group, the ordered combinators All, First, Waterfall and Map, a reusable
// CyclicBarrier, and a Scheduler that runs delayed tasks from one goroutine
// and a heap. The generic singleflight lives in the sub-package
// conc/singleflight.
//
// Every function a primitive runs is guarded: a panic becomes an error that
// wraps a *recovery.PanicError carrying the panic's value and the stack from
// the panic site (errors.Is(err, recovery.ErrPanic) holds). Where nobody
// waits for the function — Go, the Scheduler's tasks — the failure is also
// logged (with the context's request attributes and trace ids, through the
// gox log handler) and handed to a report.Submitter: the one given by
// WithReporter, else the one report.NewContext stored in the context, else
// none.
//
// What to use:
//
//   - Go: fire and forget; the task outlives the request that started it.
//   - Group: a dynamic set of tasks, bounded, all errors or the first one.
//   - All: a fixed set of calls, each result and each error in order.
//   - First: redundant calls (replicas, mirrors); the first success wins.
//   - Waterfall: steps that each need the previous step's result.
//   - Map: the same call over a slice, n at a time, results in order.
//   - CyclicBarrier: workers that proceed in lock-step phases.
//   - Scheduler: many delayed or timed tasks without a timer each.
//
// What it does not own: retries and backoff (middleware/retry), rate limits
// and bulkheads (middleware/governance), durable or distributed jobs (the
// broker's delayed messages and cron jobs).
//
// docs/concurrency.md has runnable examples of each.
package conc
