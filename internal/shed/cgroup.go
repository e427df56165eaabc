package shed

import (
	"errors"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// The cgroup files are read and parsed here, on every platform, so that their
// tests and fuzz targets run everywhere; cgroup_linux.go finds them.

var errFormat = errors.New("shed: unexpected cgroup file format")

// cgroupPath returns the path of the process's cgroup from the contents of
// /proc/self/cgroup: the unified (v2) hierarchy's when controller is "",
// else the v1 hierarchy's that holds controller ("cpu"). Each line is
// "hierarchy-ID:controller-list:path"; the path may itself hold colons.
func cgroupPath(procSelfCgroup, controller string) (string, bool) {
	for line := range strings.Lines(procSelfCgroup) {
		id, rest, ok := strings.Cut(strings.TrimRight(line, "\r\n"), ":")
		if !ok {
			continue
		}
		list, p, ok := strings.Cut(rest, ":")
		if !ok || !strings.HasPrefix(p, "/") {
			continue
		}
		if controller == "" && id == "0" && list == "" {
			return p, true
		}
		if controller != "" {
			for c := range strings.SplitSeq(list, ",") {
				if c == controller {
					return p, true
				}
			}
		}
	}
	return "", false
}

// parseCPUMax parses a cgroup v2 cpu.max, "$MAX $PERIOD" in microseconds
// ("max 100000": no limit; "150000 100000": 1.5 CPUs). A lone "$MAX" takes
// the kernel's default period of 100000.
func parseCPUMax(s string) (cpus float64, limited bool, err error) {
	f := strings.Fields(s)
	if len(f) == 1 {
		f = append(f, "100000")
	}
	if len(f) != 2 {
		return 0, false, errFormat
	}
	if f[0] == "max" {
		if _, err := parsePositive(f[1]); err != nil {
			return 0, false, err
		}
		return 0, false, nil
	}
	return quota(f[0], f[1])
}

// parseCFS parses the cgroup v1 cpu.cfs_quota_us and cpu.cfs_period_us,
// microseconds; a quota of -1 is no limit.
func parseCFS(quotaUS, periodUS string) (cpus float64, limited bool, err error) {
	q, p := strings.TrimSpace(quotaUS), strings.TrimSpace(periodUS)
	if q == "-1" {
		if _, err := parsePositive(p); err != nil {
			return 0, false, err
		}
		return 0, false, nil
	}
	return quota(q, p)
}

func quota(quotaUS, periodUS string) (float64, bool, error) {
	q, err := parsePositive(quotaUS)
	if err != nil {
		return 0, false, err
	}
	p, err := parsePositive(periodUS)
	if err != nil {
		return 0, false, err
	}
	return float64(q) / float64(p), true, nil
}

func parsePositive(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 || n > math.MaxInt64 {
		return 0, errFormat
	}
	return n, nil
}

// limitUnder returns the smallest limit read in the cgroup at rel under the
// hierarchy mounted at root and in its ancestors, each of which caps its
// descendants. Without a cgroup namespace, rel names a cgroup of the host
// that the container sees mounted at root itself: the walk reaches root and
// reads it there. rel cannot leave root.
func limitUnder(root, rel string, read func(dir string) (cpus float64, limited bool)) (float64, bool) {
	best, found := 0.0, false
	for rel = path.Clean("/" + rel); ; rel = path.Dir(rel) {
		if c, ok := read(filepath.Join(root, filepath.FromSlash(rel))); ok && (!found || c < best) {
			best, found = c, true
		}
		if rel == "/" {
			return best, found
		}
	}
}

// readCPUMax reads the cgroup v2 quota in dir.
func readCPUMax(dir string) (float64, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "cpu.max"))
	if err != nil {
		return 0, false
	}
	c, limited, err := parseCPUMax(string(b))
	return c, limited && err == nil
}

// readCFS reads the cgroup v1 quota in dir.
func readCFS(dir string) (float64, bool) {
	q, err := os.ReadFile(filepath.Join(dir, "cpu.cfs_quota_us"))
	if err != nil {
		return 0, false
	}
	p, err := os.ReadFile(filepath.Join(dir, "cpu.cfs_period_us"))
	if err != nil {
		return 0, false
	}
	c, limited, err := parseCFS(string(q), string(p))
	return c, limited && err == nil
}
