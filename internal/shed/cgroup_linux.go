package shed

import "os"

// cgroupLimit returns the CPU quota of the process's cgroup, in CPUs, when
// it has one: cgroup v2 cpu.max, else v1 cpu.cfs_quota_us/cpu.cfs_period_us.
func cgroupLimit() (float64, bool) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0, false
	}
	if rel, ok := cgroupPath(string(data), ""); ok {
		if c, ok := limitUnder("/sys/fs/cgroup", rel, readCPUMax); ok {
			return c, true
		}
	}
	if rel, ok := cgroupPath(string(data), "cpu"); ok {
		return limitUnder("/sys/fs/cgroup/cpu", rel, readCFS)
	}
	return 0, false
}
