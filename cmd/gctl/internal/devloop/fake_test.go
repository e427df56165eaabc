package devloop

import (
	"bytes"
	"context"
	"sync"
	"time"
)

// fakeClock moves only when told; armed receives once per After call, so a
// test knows the loop is waiting on it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
	armed  chan time.Duration
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), armed: make(chan time.Duration, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	ch := make(chan time.Time)
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	c.mu.Unlock()
	c.armed <- d
	return ch
}

// Advance moves the clock and hands each due timer's tick to the loop,
// returning once the loop has taken them: a change sent after Advance is
// handled after what the timers started.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []fakeTimer
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
		} else {
			due = append(due, t)
		}
	}
	c.timers = kept
	now := c.now
	c.mu.Unlock()
	for _, t := range due {
		t.ch <- now
	}
}

// fakeProc is a process that stops when asked.
type fakeProc struct {
	bin     string
	done    chan struct{}
	once    sync.Once
	stopped chan string // receives bin when stopped
}

func (p *fakeProc) Stop(time.Duration) bool {
	p.once.Do(func() { close(p.done); p.stopped <- p.bin })
	return false
}
func (p *fakeProc) Done() <-chan struct{} { return p.done }
func (p *fakeProc) Err() error            { return nil }

// syncBuffer is the console of a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// harness runs a service loop over fakes: events the test sends, builds
// that succeed unless fail is set, processes that record their stops.
type harness struct {
	s       *service
	clock   *fakeClock
	events  chan string
	builds  chan string // bin of each build
	starts  chan string // bin of each start
	stopped chan string
	fail    chan bool // the result of the next build: true fails it
	out     *syncBuffer
	done    chan error
}

func newHarness(ctx context.Context, dir string, opts Options) *harness {
	h := &harness{clock: newFakeClock(), events: make(chan string), builds: make(chan string, 10),
		starts: make(chan string, 10), stopped: make(chan string, 10), fail: make(chan bool, 10), out: &syncBuffer{}, done: make(chan error, 1)}
	opts.Clock, opts.Out = h.clock, h.out
	opts.defaults()
	con := &console{w: h.out}
	w := con.writer("svc", "")
	h.s = newService("svc", dir, dir+"/.bin", opts, w, w)
	h.s.events = func(context.Context) (<-chan string, error) { return h.events, nil }
	h.s.build = func(_ context.Context, bin string) ([]byte, error) {
		h.builds <- bin
		if <-h.fail {
			return []byte("main.go:3:1: syntax error\n"), errBuild
		}
		return nil, nil
	}
	h.s.start = func(bin string) (proc, error) {
		h.starts <- bin
		return &fakeProc{bin: bin, done: make(chan struct{}), stopped: h.stopped}, nil
	}
	go func() { h.done <- h.s.run(ctx) }()
	return h
}

type buildError struct{}

func (buildError) Error() string { return "go build: exit status 1" }

var errBuild error = buildError{}
