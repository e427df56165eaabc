package shed

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseCPUMax(t *testing.T) {
	for _, tc := range []struct {
		in      string
		cpus    float64
		limited bool
		err     bool
	}{
		{in: "max 100000\n"},
		{in: "max"},
		{in: "150000 100000\n", cpus: 1.5, limited: true},
		{in: "200000 100000", cpus: 2, limited: true},
		{in: "50000 100000", cpus: 0.5, limited: true},
		{in: "50000\n", cpus: 0.5, limited: true},
		{in: "", err: true},
		{in: "max 0", err: true},
		{in: "0 100000", err: true},
		{in: "-1 100000", err: true},
		{in: "150000 0", err: true},
		{in: "1.5 100000", err: true},
		{in: "150000 100000 7", err: true},
	} {
		cpus, limited, err := parseCPUMax(tc.in)
		if cpus != tc.cpus || limited != tc.limited || (err != nil) != tc.err {
			t.Errorf("parseCPUMax(%q) = %v, %v, %v; want %v, %v, error %v", tc.in, cpus, limited, err, tc.cpus, tc.limited, tc.err)
		}
	}
}

func TestParseCFS(t *testing.T) {
	for _, tc := range []struct {
		quota, period string
		cpus          float64
		limited       bool
		err           bool
	}{
		{quota: "-1\n", period: "100000\n"},
		{quota: "150000\n", period: "100000\n", cpus: 1.5, limited: true},
		{quota: "400000", period: "200000", cpus: 2, limited: true},
		{quota: "-1", period: "", err: true},
		{quota: "-2", period: "100000", err: true},
		{quota: "0", period: "100000", err: true},
		{quota: "100000", period: "0", err: true},
	} {
		cpus, limited, err := parseCFS(tc.quota, tc.period)
		if cpus != tc.cpus || limited != tc.limited || (err != nil) != tc.err {
			t.Errorf("parseCFS(%q, %q) = %v, %v, %v; want %v, %v, error %v", tc.quota, tc.period, cpus, limited, err, tc.cpus, tc.limited, tc.err)
		}
	}
}

// Contents of /proc/self/cgroup as seen on real machines.
const (
	cgroupV2Pod = "0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-4f1c.scope\n"
	cgroupV1    = `12:pids:/docker/4f1c
11:cpu,cpuacct:/docker/4f1c
10:cpuset:/docker/4f1c
1:name=systemd:/docker/4f1c
`
	cgroupHybrid = `9:name=systemd:/
4:memory:/process_api/54ee
2:cpuacct:/
1:cpu:/
0::/user.slice/a:b
`
)

func TestCgroupPath(t *testing.T) {
	for _, tc := range []struct {
		data, controller, want string
		ok                     bool
	}{
		{cgroupV2Pod, "", "/kubepods.slice/kubepods-burstable.slice/cri-containerd-4f1c.scope", true},
		{"0::/\n", "", "/", true},
		{cgroupV2Pod, "cpu", "", false},
		{cgroupV1, "cpu", "/docker/4f1c", true},
		{cgroupV1, "", "", false},
		{cgroupV1, "systemd", "", false},
		{cgroupHybrid, "cpu", "/", true},
		{cgroupHybrid, "", "/user.slice/a:b", true},
		{"1:cpu:relative\n0::\n", "cpu", "", false},
		{"", "", "", false},
	} {
		got, ok := cgroupPath(tc.data, tc.controller)
		if got != tc.want || ok != tc.ok {
			t.Errorf("cgroupPath(%q, %q) = %q, %v; want %q, %v", tc.data, tc.controller, got, ok, tc.want, tc.ok)
		}
	}
}

// write creates the files of a cgroup tree under a temporary root.
func write(t *testing.T, files map[string]string) string {
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestLimitUnder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		rel     string
		read    func(string) (float64, bool)
		cpus    float64
		limited bool
	}{
		{"v2 pod", map[string]string{
			"kubepods.slice/cpu.max":     "max 100000\n",
			"kubepods.slice/pod/cpu.max": "150000 100000\n",
		}, "/kubepods.slice/pod", readCPUMax, 1.5, true},
		{"v2 parent smaller", map[string]string{
			"a/cpu.max":   "50000 100000\n",
			"a/b/cpu.max": "300000 100000\n",
		}, "/a/b", readCPUMax, 0.5, true},
		{"v2 namespaced", map[string]string{"cpu.max": "250000 100000\n"}, "/", readCPUMax, 2.5, true},
		{"v2 no limit", map[string]string{"a/cpu.max": "max 100000\n"}, "/a", readCPUMax, 0, false},
		{"v1 docker without namespace", map[string]string{
			"cpu.cfs_quota_us":  "200000\n",
			"cpu.cfs_period_us": "100000\n",
		}, "/docker/4f1c", readCFS, 2, true},
		{"v1 no limit", map[string]string{
			"cpu.cfs_quota_us":  "-1\n",
			"cpu.cfs_period_us": "100000\n",
		}, "/", readCFS, 0, false},
		{"escape", map[string]string{"cpu.max": "100000 100000\n"}, "/../../..", readCPUMax, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := write(t, tc.files)
			cpus, limited := limitUnder(root, tc.rel, tc.read)
			if cpus != tc.cpus || limited != tc.limited {
				t.Fatalf("limitUnder = %v, %v; want %v, %v", cpus, limited, tc.cpus, tc.limited)
			}
		})
	}
}

func FuzzCPUMax(f *testing.F) {
	for _, s := range []string{"max 100000\n", "150000 100000\n", "50000", "max", "", "0 0", "-1 100000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cpus, limited, err := parseCPUMax(s)
		if err != nil && (limited || cpus != 0) {
			t.Fatalf("parseCPUMax(%q) = %v, %v with error %v", s, cpus, limited, err)
		}
		if limited && !(cpus > 0 && cpus < 1e19) {
			t.Fatalf("parseCPUMax(%q) = %v CPUs", s, cpus)
		}
		if !limited && cpus != 0 {
			t.Fatalf("parseCPUMax(%q) = %v CPUs without a limit", s, cpus)
		}
	})
}

// The path found never leads the walk outside the hierarchy's root.
func FuzzCgroupPath(f *testing.F) {
	for _, s := range []string{cgroupV2Pod, cgroupV1, cgroupHybrid, "0::/../..\n", "1:cpu:/a/../../b\n"} {
		f.Add(s, "")
		f.Add(s, "cpu")
	}
	f.Fuzz(func(t *testing.T, data, controller string) {
		rel, ok := cgroupPath(data, controller)
		if !ok {
			return
		}
		if !strings.HasPrefix(rel, "/") || strings.ContainsAny(rel, "\n") {
			t.Fatalf("cgroupPath(%q, %q) = %q", data, controller, rel)
		}
		root := filepath.FromSlash("/sys/fs/cgroup")
		limitUnder(root, rel, func(dir string) (float64, bool) {
			if r, err := filepath.Rel(root, dir); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
				t.Fatalf("walk of %q visits %q, outside %q", rel, dir, root)
			}
			return 0, false
		})
	})
}
