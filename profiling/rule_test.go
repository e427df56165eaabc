package profiling

import (
	"strings"
	"testing"
	"time"
)

func TestRuleMatch(t *testing.T) {
	r := Rule{Enabled: true, Min: 10, Diff: 25, Abs: 70, Max: 95}
	for _, tc := range []struct {
		name       string
		v, avg     float64
		wantReason string
		wantThresh float64
	}{
		{"below min, even far above the average", 9, 1, "", 0},
		{"above abs", 71, 70, ReasonAbs, 70},
		{"at abs, not above the average enough", 70, 60, "", 0},
		{"25% above the average", 50, 40, ReasonDiff, 50},
		{"24% above the average", 49.6, 40, "", 0},
		{"at max: not captured", 95, 10, "", 0},
		{"above max: not captured", 99, 10, "", 0},
		{"the average was 0", 10, 0, ReasonDiff, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reason, thresh := r.match(tc.v, tc.avg)
			if reason != tc.wantReason || thresh != tc.wantThresh {
				t.Fatalf("match(%g, avg %g) = %q %g, want %q %g", tc.v, tc.avg, reason, thresh, tc.wantReason, tc.wantThresh)
			}
		})
	}
	if reason, _ := (Rule{Enabled: true, Abs: 70}).match(100, 1); reason != ReasonAbs {
		t.Fatalf("a rule without diff and max: %q, want abs", reason)
	}
	if reason, _ := (Rule{Enabled: true, Diff: 10}).match(1e9, 1); reason != ReasonDiff {
		t.Fatalf("a rule without abs and max: %q, want diff", reason)
	}
}

// The average is that of the readings before the one checked, over the last
// History of them.
func TestHistoryAverage(t *testing.T) {
	h := newHistory(3)
	if h.avg() != 0 || h.full {
		t.Fatal("an empty history")
	}
	for _, v := range []float64{100, 1, 2, 3} {
		h.push(v)
	}
	if !h.full || h.avg() != 2 {
		t.Fatalf("avg %g full %v, want 2 (100 pushed out) and full", h.avg(), h.full)
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	ok := DefaultConfig()
	if err := ok.Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("the zero config: %v", err)
	}
	for _, tc := range []struct {
		key    string
		change func(*Config)
	}{
		{"profiling.interval", func(c *Config) { c.Interval = time.Microsecond }},
		{"profiling.interval", func(c *Config) { c.Interval = -time.Second }},
		{"profiling.history", func(c *Config) { c.History = -1 }},
		{"profiling.history", func(c *Config) { c.History = maxHistory + 1 }},
		{"profiling.cpu_duration", func(c *Config) { c.CPUDuration = time.Millisecond }},
		{"profiling.keep_files", func(c *Config) { c.KeepFiles = -1 }},
		{"profiling.max_bytes", func(c *Config) { c.MaxBytes = -1 }},
		{"profiling.cpu.min", func(c *Config) { c.CPU.Min = -1 }},
		{"profiling.cpu.abs", func(c *Config) { c.CPU.Abs = 150 }},
		{"profiling.heap.diff", func(c *Config) { c.Heap.Diff = -5 }},
		{"profiling.heap.cooldown", func(c *Config) { c.Heap.Cooldown = -time.Second }},
		{"profiling.goroutine.max", func(c *Config) { c.Goroutine.Max = 100 }},    // below min 3000
		{"profiling.goroutine.abs", func(c *Config) { c.Goroutine.Max = 100000 }}, // abs 200000 above max
		{"profiling.goroutine.diff", func(c *Config) { c.Goroutine.Diff, c.Goroutine.Abs = 0, 0 }},
	} {
		t.Run(tc.key, func(t *testing.T) {
			c := DefaultConfig()
			tc.change(&c)
			err := c.Validate()
			if err == nil || !strings.HasPrefix(err.Error(), tc.key+" ") {
				t.Fatalf("Validate = %v, want an error naming %s", err, tc.key)
			}
			if _, err := New(c); err == nil {
				t.Fatal("New took a config that Validate refuses")
			}
		})
	}
}

func TestParseName(t *testing.T) {
	at := time.Date(2026, 1, 2, 15, 4, 5, 123456789, time.FixedZone("x", 3600))
	for _, rule := range []string{"cpu", "heap", "goroutine"} {
		got, r, ok := parseName(fileName(at, rule))
		if !ok || r != rule || !got.Equal(at) {
			t.Fatalf("parseName(fileName(%v, %s)) = %v %q %v", at, rule, got, r, ok)
		}
	}
	for _, name := range []string{"", "gox-", "notes.txt", "gox-20260102T150405.123456789Z-cpu.pb", "gox-20260102T150405.123456789Z-disk.pb.gz",
		"gox-2026010XT150405.123456789Z-cpu.pb.gz", "gox-20260102T150405.123456789Z.pb.gz", ".gox-profile-1.tmp"} {
		if _, _, ok := parseName(name); ok {
			t.Fatalf("parseName(%q) took a file gox did not write", name)
		}
	}
}

// FuzzParseName: parseName reads the names of the files in the profile
// directory, which anyone may put there; it never panics, and what it takes
// is a name fileName writes.
func FuzzParseName(f *testing.F) {
	f.Add(fileName(time.Unix(0, 0), "cpu"))
	f.Add("gox-20260102T150405.123456789Z-heap.pb.gz")
	f.Add("gox--goroutine.pb.gz")
	f.Add("")
	f.Fuzz(func(t *testing.T, name string) {
		at, rule, ok := parseName(name)
		if ok && fileName(at, rule) != name {
			t.Fatalf("parseName(%q) = %v %q, which fileName writes as %q", name, at, rule, fileName(at, rule))
		}
	})
}
