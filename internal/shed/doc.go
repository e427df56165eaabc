// Package shed is gox's adaptive load shedder: it refuses calls a server
// cannot finish in time because its CPU is saturated, and measures that CPU.
// It owns the algorithm and the CPU reading; the governance middleware owns
// how a refusal looks on the wire and which operations carry which Priority.
//
// # The Shedder
//
// The Shedder is BBR-like, after kratos (go-kratos/aegis ratelimit/bbr) and
// go-zero (core/load adaptiveshedder). Over a rolling window (default 5 s in
// 50 buckets of 100 ms) it counts, per bucket, the calls that completed and
// the sum of their response times. From the buckets that are complete (the
// current one is left out, as are empty ones for the latency):
//
//	maxPass = the most completions in one bucket
//	minRT   = the smallest average response time of a bucket
//	limit   = ⌈maxPass × bucketsPerSecond × minRT(s)⌉
//
// limit is Little's law applied to the best the server has done lately: the
// calls it can hold in flight when it completes as many per second as it
// ever did, each as fast as it ever did. A call is shed when
//
//   - the process's CPU usage is at or above the threshold (default 0.8) and
//     admitting it would put more than max(limit, 1) calls in flight; or
//   - calls complete at least LatencyFactor (default 2) times slower than
//     minRT (the average of the last complete bucket against it), whatever
//     the CPU reads, and admitting it would put more than max(limit, 1)
//     calls in flight: the process queues work it cannot keep up with —
//     because its neighbours take the CPU its own reading does not count,
//     or because it waits on a resource — which kratos and go-zero, reading
//     the CPU alone, do not see; or
//   - a call was shed that way within the last CoolOff (default 1 s), and
//     admitting it would put more than max(limit, 1) calls in flight, whatever
//     the CPU reads now. The CPU reading is smoothed and lags; without the
//     cool-off the Shedder would flap between shedding and admitting a
//     backlog each time the reading dipped under the threshold. Only sheds
//     made at high CPU or high latency extend the cool-off, so the Shedder
//     admits again at most CoolOff after the overload passed.
//
// A CPU-bound service given more than it can do builds its backlog where no
// in-flight count sees it: requests read from the network wait, runnable,
// for a CPU before any middleware runs, and the handlers in flight stay as
// few as there are CPUs. With WithQueueDelay the Shedder also watches that
// wait (the Sampler's QueueDelay: the 90th percentile of the runtime's
// /sched/latencies over each interval) and, while it is over its target
// (default 10 ms in governance, or twice minRT when more), admits only a
// share of calls, drawn at random: cut by a fifth at each reading over the
// target, grown back by 5 points at each one under it, and by half again
// once the wait is under a quarter of the target; Low calls get the square
// of the share, Critical ones all. With WithBacklog it also refuses call by
// call while the CPU time queued in front of the call (the Sampler's
// Backlog: runnable goroutines times the CPU time per scheduling) is over
// an eighth of the target while the CPU is at or over its threshold, a
// quarter of it below, never less than minRT (half that again for Low
// calls). That gate acts at
// once and holds the wait well under the target, so the share stays whole;
// the share is the safety valve for a wait the estimate misses. The
// refusals are cheap, so the backlog stays short and the admitted calls run
// in time.
//
// Otherwise, and before the window holds any completed call (a cold start),
// every call is admitted. While shedding at most max(limit, 1) Normal calls
// run at once.
//
// Priorities: Critical calls are never shed but count in flight (health
// checks, calls that release resources); Low calls are shed once
// max(⌊limit × 3/4⌋, 1) are in flight, so under overload background work
// gives way a quarter of the limit before user traffic does.
//
// The per-call path is two reads of the monotonic clock, a few atomic
// operations and a short mutex held to add to the current bucket, with no
// allocation; maxPass, minRT and the limit are computed at most once per
// bucket, and only while the CPU is high or the cool-off runs.
//
// # The CPU Sampler
//
// The Sampler measures the CPU time this process used (getrusage on Unix,
// GetProcessTimes on Windows) every interval (default 100 ms) and divides it
// by the wall time elapsed and the CPUs the process may use: min(NumCPU, the
// cgroup's CPU quota on Linux), fractions kept (a quota of 1.5 CPUs is 1.5).
// The result, a fraction 0..1, is smoothed by an exponentially weighted
// moving average with a time constant of 500 ms: a step from idle to
// saturation reads 0.78 after 0.75 s and 0.86 after 1 s, crossing the
// default threshold of 0.8 at the eighth sample (0.8 s), and a single busy
// sample reads 0.18, short of it. kratos and go-zero read the CPU of the whole
// cgroup or machine; gox reads its own process's, so a sidecar or a
// neighbour's batch job does not make it shed its own traffic. On platforms
// with neither call (js/wasm, wasip1, plan9) the Sampler reads 0: nothing is
// shed for CPU.
package shed
