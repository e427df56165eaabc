package devloop

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Defaults of Options.
const (
	DefaultDebounce    = 200 * time.Millisecond
	DefaultStopTimeout = 35 * time.Second // above a scaffolded service's app.stop_timeout (30s)
)

// DefaultBuildFlags leave the symbol table and DWARF out of the binary: the
// link, most of a one-line rebuild, takes half the time. Panics, stack
// traces and pprof keep their function names and lines; only a debugger
// (Delve) needs them, so pass other flags to debug.
var DefaultBuildFlags = []string{"-ldflags=-s -w"}

// Options tune the loop. The zero value is usable.
type Options struct {
	Debounce    time.Duration // quiet time that ends a burst of changes; DefaultDebounce
	StopTimeout time.Duration // grace given to the old process after SIGTERM before it is killed; DefaultStopTimeout
	Args        []string      // arguments of the service binary (default none: a gox service serves)
	// BuildFlags go between go build and -o; nil: DefaultBuildFlags.
	BuildFlags []string
	Env        []string // added to the environment of go build, the generate hook and the service
	// Generate runs when a .proto file changed, before the build (gctl wires
	// `gctl gen proto` in the project's directory); nil: rebuild only.
	Generate func(ctx context.Context, dir string, env []string) ([]byte, error)
	Out      io.Writer // where every line goes; default os.Stdout
	Colour   bool      // prefix lines with coloured names (see UseColour)
	Clock    Clock     // default the real clock
	TempDir  string    // where binaries are built; default a new directory under os.TempDir
}

func (o *Options) defaults() {
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = DefaultStopTimeout
	}
	if o.BuildFlags == nil {
		o.BuildFlags = DefaultBuildFlags
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
}

// service is the loop of one project.
type service struct {
	name, dir string
	opts      Options
	tmp       string
	out, log  *prefixed

	// the real implementations, replaced in tests of the loop
	events func(ctx context.Context) (<-chan string, error)
	build  func(ctx context.Context, bin string) ([]byte, error)
	start  func(bin string) (proc, error)

	proc   proc
	bin    string           // binary of proc
	builds int              // numbering the build directories
	built  map[string]stamp // the sources as they were when the last good build started
}

// stamp identifies a file's content well enough to tell a rewrite of the
// same bytes (gctl's own generated output) from an edit.
type stamp struct {
	size int64
	mod  time.Time
}

func newService(name, dir, tmp string, opts Options, out, log *prefixed) *service {
	s := &service{name: name, dir: dir, opts: opts, tmp: tmp, out: out, log: log}
	s.events = func(ctx context.Context) (<-chan string, error) {
		ch := make(chan string, 256)
		return ch, watch(ctx, dir, ch, s.logf)
	}
	s.build = s.goBuild
	s.start = func(bin string) (proc, error) {
		return startProcess(bin, dir, opts.Args, opts.Env, out, out, opts.Clock)
	}
	return s
}

func (s *service) logf(format string, args ...any) {
	fmt.Fprintf(s.log, "gctl: "+format+"\n", args...)
}

// run builds and starts the service, then rebuilds and restarts it on
// every burst of changes until ctx ends, when it stops the process.
func (s *service) run(ctx context.Context) error {
	events, err := s.events(ctx)
	if err != nil {
		return err
	}
	defer s.shutdown()
	s.logf("watching %s", s.dir)
	s.apply(ctx, Change{Kind: Code}, true)
	batch := NewBatch(s.opts.Debounce)
	var timer <-chan time.Time
	for {
		var exited <-chan struct{}
		if s.proc != nil {
			exited = s.proc.Done()
		}
		select {
		case <-ctx.Done():
			return nil
		case rel := <-events:
			batch.Add(rel, Classify(rel), s.opts.Clock.Now())
			if timer == nil && !batch.Empty() {
				timer = s.opts.Clock.After(s.opts.Debounce)
			}
		case <-timer:
			timer = nil
			if due, ok := batch.Due(); ok {
				if wait := due.Sub(s.opts.Clock.Now()); wait > 0 {
					timer = s.opts.Clock.After(wait)
					continue
				}
				c, _ := batch.Take()
				s.apply(ctx, c, false)
			}
		case <-exited:
			s.logf("the service exited (%s); it starts again after the next change", exitText(s.proc.Err()))
			s.proc = nil
		}
	}
}

// apply acts on one burst: nothing for config.yaml alone, else generate
// (for .proto), build, and restart when the build succeeds.
func (s *service) apply(ctx context.Context, c Change, first bool) {
	if c.Kind == Config {
		s.logf("%s changed: not restarting; the running service's config watcher applies it (its log says which keys need a restart)", strings.Join(c.Paths, ", "))
		return
	}
	if !first && s.proc != nil && c.More == 0 && s.unchanged(c.Paths) {
		return // rewritten with the bytes already built (gctl's generated output, a touch)
	}
	if !first {
		s.logf("changed: %s", describe(c))
	}
	if c.Kind == Proto && s.opts.Generate != nil {
		if out, err := s.opts.Generate(ctx, s.dir, s.opts.Env); err != nil {
			_, _ = s.log.Write(out)
			s.logf("generating from .proto failed: %v; %s", err, s.keeps())
			return
		}
	}
	began := time.Now()
	snapshot := s.snapshot()
	s.builds++
	bin := filepath.Join(s.tmp, fmt.Sprintf("build-%d", s.builds), s.name)
	if out, err := s.build(ctx, bin); err != nil {
		if ctx.Err() != nil {
			return
		}
		_, _ = s.log.Write(out)
		if first {
			s.logf("the project does not build (%v); watching for a fix", err)
		} else {
			s.logf("build failed (%v); %s", err, s.keeps())
		}
		return
	}
	s.built = snapshot
	if ctx.Err() != nil {
		return
	}
	took := time.Since(began).Round(10 * time.Millisecond)
	s.stopProc()
	p, err := s.start(bin)
	if err != nil {
		s.logf("%v", err)
		return
	}
	s.proc, s.bin = p, bin
	if first {
		s.logf("built in %s; started", took)
	} else {
		s.logf("rebuilt in %s; restarted", took)
	}
}

func (s *service) keeps() string {
	if s.proc != nil {
		return "the last good build keeps serving"
	}
	return "nothing is running until it builds"
}

// stopProc stops the running process gracefully and removes its binary.
func (s *service) stopProc() {
	if s.proc == nil {
		return
	}
	if s.proc.Stop(s.opts.StopTimeout) {
		s.logf("the service did not stop within %s of SIGTERM; killed", s.opts.StopTimeout)
	}
	s.proc = nil
	if s.bin != "" {
		_ = os.RemoveAll(filepath.Dir(s.bin))
	}
}

func (s *service) shutdown() {
	if s.proc != nil {
		s.logf("stopping")
	}
	s.stopProc()
	s.out.Flush()
}

// goBuild runs go build [BuildFlags] -o bin . in the project.
func (s *service) goBuild(ctx context.Context, bin string) ([]byte, error) {
	args := append(append([]string{"build"}, s.opts.BuildFlags...), "-o", bin, ".")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), s.opts.Env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("go build: %w", err)
	}
	return out, nil
}

func describe(c Change) string {
	d := strings.Join(c.Paths, ", ")
	if c.More > 0 {
		d += fmt.Sprintf(" and %d more", c.More)
	}
	return d
}

func exitText(err error) string {
	if err == nil {
		return "status 0"
	}
	return err.Error()
}
