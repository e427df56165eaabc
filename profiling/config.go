package profiling

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"
)

// Config is the `profiling:` block of a service's config.yaml.
type Config struct {
	// Enabled says whether the service runs a Profiler; it is read by the
	// code that wires the service, New ignores it.
	Enabled bool `yaml:"enabled"`
	// Dir is where profiles are written (default
	// $TMPDIR/gox-profiles). Give each service its own: rotation counts
	// every gox profile in it.
	Dir string `yaml:"dir"`
	// Interval is how often the values are read (default 5s).
	Interval time.Duration `yaml:"interval"`
	// History is how many readings the average is taken over, and how many
	// are taken before anything is captured (default 10).
	History int `yaml:"history"`
	// CPUDuration is how long a CPU profile records (default 5s). Nothing
	// else is checked meanwhile.
	CPUDuration time.Duration `yaml:"cpu_duration"`
	// KeepFiles is how many profiles are kept at most (default 30).
	KeepFiles int `yaml:"keep_files"`
	// MaxBytes is how many bytes the profiles kept hold at most (default
	// 256 MiB); the newest is kept whatever its size.
	MaxBytes int64 `yaml:"max_bytes"`

	// CPU is in percent of the CPUs the process may use.
	CPU Rule `yaml:"cpu"`
	// Heap is in MiB of heap in use.
	Heap Rule `yaml:"heap"`
	// Goroutine is in goroutines.
	Goroutine Rule `yaml:"goroutine"`
}

// Rule says when a value is a spike. Min, Abs and Max are in the value's
// unit (percent of CPU, MiB, goroutines); 0 leaves Abs and Max out.
type Rule struct {
	Enabled bool `yaml:"enabled"`
	// Min is the least value that may be captured.
	Min float64 `yaml:"min"`
	// Diff is how many percent above the average of the previous readings
	// a value must be to be captured; 0 leaves this test out.
	Diff float64 `yaml:"diff"`
	// Abs captures any value above it, whatever the average.
	Abs float64 `yaml:"abs"`
	// Max: a value at or above it is not captured, where capturing would
	// hurt more than it tells (a goroutine profile of millions of
	// goroutines stops the world for as long as it takes).
	Max float64 `yaml:"max"`
	// Cooldown is how long the rule rests after a capture (default 1m for
	// cpu and heap, 10m for goroutine).
	Cooldown time.Duration `yaml:"cooldown"`
}

// DefaultConfig is holmes's defaults, disabled: cpu above 70% or 25% above
// its average (from 10%), heap above 1 GiB or 25% above its average (from
// 64 MiB), goroutines above 200,000 or 20% above their average (from
// 3,000).
func DefaultConfig() Config {
	return Config{
		Dir: filepath.Join(os.TempDir(), "gox-profiles"), Interval: 5 * time.Second, History: 10,
		CPUDuration: 5 * time.Second, KeepFiles: 30, MaxBytes: 256 << 20,
		CPU:       Rule{Enabled: true, Min: 10, Diff: 25, Abs: 70, Cooldown: time.Minute},
		Heap:      Rule{Enabled: true, Min: 64, Diff: 25, Abs: 1024, Cooldown: time.Minute},
		Goroutine: Rule{Enabled: true, Min: 3000, Diff: 20, Abs: 200000, Cooldown: 10 * time.Minute},
	}
}

// withDefaults fills the zero fields of c from DefaultConfig; of the
// rules, only their cooldowns.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	for _, r := range []struct{ got, def *Rule }{{&c.CPU, &d.CPU}, {&c.Heap, &d.Heap}, {&c.Goroutine, &d.Goroutine}} {
		if r.got.Cooldown == 0 {
			r.got.Cooldown = r.def.Cooldown
		}
	}
	if c.Dir == "" {
		c.Dir = d.Dir
	}
	if c.Interval == 0 {
		c.Interval = d.Interval
	}
	if c.History == 0 {
		c.History = d.History
	}
	if c.CPUDuration == 0 {
		c.CPUDuration = d.CPUDuration
	}
	if c.KeepFiles == 0 {
		c.KeepFiles = d.KeepFiles
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = d.MaxBytes
	}
	return c
}

// maxHistory bounds the readings kept per rule.
const maxHistory = 1000

// Validate names the key of the first problem:
// "profiling.cpu.diff must not be negative, got -5".
func (c Config) Validate() error {
	switch {
	case c.Interval < 0 || (c.Interval > 0 && c.Interval < time.Millisecond):
		return fmt.Errorf("profiling.interval must be at least 1ms (or 0: 5s), got %s", c.Interval)
	case c.History < 0 || c.History > maxHistory:
		return fmt.Errorf("profiling.history must be in [1, %d] (or 0: 10), got %d", maxHistory, c.History)
	case c.CPUDuration < 0 || (c.CPUDuration > 0 && c.CPUDuration < 10*time.Millisecond):
		return fmt.Errorf("profiling.cpu_duration must be at least 10ms (or 0: 5s), got %s", c.CPUDuration)
	case c.KeepFiles < 0:
		return fmt.Errorf("profiling.keep_files must not be negative, got %d", c.KeepFiles)
	case c.MaxBytes < 0:
		return fmt.Errorf("profiling.max_bytes must not be negative, got %d", c.MaxBytes)
	}
	for _, r := range []struct {
		key  string
		rule Rule
		max  float64
	}{{"cpu", c.CPU, 100}, {"heap", c.Heap, math.Inf(1)}, {"goroutine", c.Goroutine, math.Inf(1)}} {
		if err := r.rule.validate(r.max); err != nil {
			return fmt.Errorf("profiling.%s.%w", r.key, err)
		}
	}
	return nil
}

func (r Rule) validate(ceiling float64) error {
	for _, f := range []struct {
		key string
		v   float64
	}{{"min", r.Min}, {"diff", r.Diff}, {"abs", r.Abs}, {"max", r.Max}} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("%s must be a number not below 0, got %g", f.key, f.v)
		}
		if f.key != "diff" && f.v > ceiling {
			return fmt.Errorf("%s must be at most %g, got %g", f.key, ceiling, f.v)
		}
	}
	switch {
	case r.Cooldown < 0:
		return fmt.Errorf("cooldown must not be negative, got %s", r.Cooldown)
	case r.Enabled && r.Diff == 0 && r.Abs == 0:
		return fmt.Errorf("diff and abs are both 0: an enabled rule that has neither never captures")
	case r.Max != 0 && r.Max <= r.Min:
		return fmt.Errorf("max must be above min (%g), got %g", r.Min, r.Max)
	case r.Max != 0 && r.Abs != 0 && r.Abs >= r.Max:
		return fmt.Errorf("abs must be below max (%g), got %g", r.Max, r.Abs)
	}
	return nil
}
