// Package profiling captures a pprof profile when the service's CPU usage,
// heap or goroutine count jumps, keeps the profiles in a directory of
// bounded size and reports each capture (report.KindProfile, the profile
// attached) so that whoever is alerted gets the profile of the spike, not
// a request to reproduce it.
//
// The rules are those of mosn.io/holmes. Every Interval the Profiler reads
// three values:
//
//   - cpu: the CPU time the process used over the last interval, in percent
//     of the CPUs it may use (runtime.NumCPU, or the cgroup quota when
//     smaller, as the load shedder counts them);
//   - heap: the bytes of heap spans in use (objects and their free slots,
//     runtime.MemStats.HeapInuse), in MiB;
//   - goroutine: the number of live goroutines.
//
// A value captures its profile when it is at least Min and below Max, and
// either above Abs or Diff percent above the average of the History
// readings before it; then the rule rests for its Cooldown. Nothing is
// captured until History readings were taken, so the start of a service,
// busy by nature, is not taken for a spike. A cpu spike records a CPU
// profile for CPUDuration; heap and goroutine spikes write the heap and
// goroutine profiles at once.
//
// What it does not do: continuous profiling (contrib/profiling/pyroscope
// pushes profiles to a Pyroscope server all the time), thread or RSS rules,
// shrinking threads. The Go runtime allows one CPU profile at a time: while
// the pprof endpoint or a continuous profiler records one, a cpu spike is
// still reported, with the reason its profile is missing.
//
// Why not holmes itself: mosn.io/holmes v1.0.2 (2022) builds with current
// Go, but it brings some 330 modules (mosn.io/pkg, an old gopsutil), reads
// cgroup v1 files only, and runs on the real clock with its own logger, so
// its rules cannot be tested without waiting. These are its rules on
// runtime/metrics and the standard library.
//
// Files are named gox-<UTC time>-<rule>.pb.gz (the pprof format: read them
// with `go tool pprof FILE`). After each capture the oldest of them are
// deleted until at most KeepFiles remain and they hold at most MaxBytes;
// other files in the directory are never touched.
package profiling
