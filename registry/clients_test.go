package registry_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/registry"
)

// fakeClock is a Clock whose time moves only by Advance, which runs the
// timers that fall due in the caller's goroutine.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers map[*fakeTimer]struct{}
}

type fakeTimer struct {
	at time.Time
	f  func()
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), timers: map[*fakeTimer]struct{}{}}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers[t] = struct{}{}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, pending := c.timers[t]
		delete(c.timers, t)
		return pending
	}
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	for t := range c.timers {
		if !t.at.After(c.now) {
			due = append(due, t)
			delete(c.timers, t)
		}
	}
	c.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		t.f()
	}
}

func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// watchClient stands for a client made by name: it follows the name's
// instances in a goroutine until Close, as the HTTP and gRPC discovery
// clients do.
type watchClient struct {
	name   string
	w      registry.Watcher
	done   chan struct{}
	held   atomic.Int32 // calls using it now (the test's own count)
	closed atomic.Bool
	misuse *atomic.Int32 // closes of a held or closed client
}

func (c *watchClient) Close() error {
	if c.closed.Swap(true) || c.held.Load() > 0 {
		c.misuse.Add(1)
	}
	err := c.w.Stop()
	<-c.done
	return err
}

type dialer struct {
	reg    *registry.Memory
	dials  atomic.Int32
	fail   atomic.Bool
	misuse atomic.Int32

	mu  sync.Mutex
	all []*watchClient
}

func (d *dialer) dial(name string) (*watchClient, error) {
	d.dials.Add(1)
	if d.fail.Load() {
		return nil, fmt.Errorf("dial %s: refused", name)
	}
	w, err := d.reg.Watch(context.Background(), name)
	if err != nil {
		return nil, err
	}
	c := &watchClient{name: name, w: w, done: make(chan struct{}), misuse: &d.misuse}
	go func() {
		defer close(c.done)
		for {
			if _, err := w.Next(); err != nil {
				return
			}
		}
	}()
	d.mu.Lock()
	d.all = append(d.all, c)
	d.mu.Unlock()
	return c, nil
}

func (d *dialer) open() (n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.all {
		if !c.closed.Load() {
			n++
		}
	}
	return n
}

func newSet(t *testing.T, o registry.ClientsOptions) (*registry.Clients[*watchClient], *dialer) {
	t.Helper()
	d := &dialer{reg: registry.NewMemory()}
	s := registry.NewClients(d.dial, o)
	t.Cleanup(func() {
		_ = s.Close()
		if n := d.misuse.Load(); n > 0 {
			t.Errorf("%d clients were closed while a call held them, or twice", n)
		}
	})
	return s, d
}

func get(t *testing.T, s *registry.Clients[*watchClient], name string) (*watchClient, func()) {
	t.Helper()
	c, release, err := s.Get(context.Background(), name)
	if err != nil {
		t.Fatalf("Get(%s): %v", name, err)
	}
	if c.closed.Load() {
		t.Fatalf("Get(%s) returned a closed client", name)
	}
	c.held.Add(1)
	return c, func() { c.held.Add(-1); release() }
}

func TestClientsOnePerName(t *testing.T) {
	s, d := newSet(t, registry.ClientsOptions{})
	var wg sync.WaitGroup
	got := make([]*watchClient, 16)
	for i := range got {
		wg.Go(func() {
			c, release := get(t, s, "users")
			defer release()
			got[i] = c
		})
	}
	wg.Wait()
	for _, c := range got {
		if c != got[0] {
			t.Fatal("concurrent Gets of one name got different clients")
		}
	}
	if n := d.dials.Load(); n != 1 {
		t.Fatalf("dialled %d times for one name, want 1", n)
	}
}

func TestClientsEvictLeastRecentlyUsed(t *testing.T) {
	s, d := newSet(t, registry.ClientsOptions{MaxSize: 2})
	a, ra := get(t, s, "a")
	ra()
	b, rb := get(t, s, "b")
	rb()
	_, ra = get(t, s, "a") // a is now the most recently used
	ra()
	_, rc := get(t, s, "c")
	rc()
	if !b.closed.Load() || a.closed.Load() {
		t.Fatalf("after a, b, a, c with room for 2: a closed=%v b closed=%v; want b closed only", a.closed.Load(), b.closed.Load())
	}
	if s.Len() != 2 || d.open() != 2 {
		t.Fatalf("set holds %d, %d open clients; want 2", s.Len(), d.open())
	}
}

// A client pushed out while a call holds it stays usable until that call
// releases it, then closes.
func TestClientsHeldClientClosedAtRelease(t *testing.T) {
	s, _ := newSet(t, registry.ClientsOptions{MaxSize: 1})
	a, ra := get(t, s, "a")
	_, rb := get(t, s, "b") // pushes a out
	defer rb()
	if a.closed.Load() {
		t.Fatal("a client held by a call was closed when pushed out")
	}
	a2, ra2 := get(t, s, "a") // a new client: the held one is out of the set
	if a2 == a {
		t.Fatal("a client pushed out was handed out again")
	}
	ra2()
	ra()
	ra() // twice does nothing
	if !a.closed.Load() {
		t.Fatal("a client pushed out was not closed at its last release")
	}
}

func TestClientsIdleTimeoutOnFakeClock(t *testing.T) {
	clk := newFakeClock()
	s, d := newSet(t, registry.ClientsOptions{IdleTimeout: 5 * time.Minute, Clock: clk})
	a, ra := get(t, s, "a")
	ra()
	b, rb := get(t, s, "b") // held across the timeout
	clk.Advance(4 * time.Minute)
	if a.closed.Load() {
		t.Fatal("closed after 4 of 5 idle minutes")
	}
	clk.Advance(time.Minute)
	if !a.closed.Load() || s.Len() != 1 {
		t.Fatalf("after 5 idle minutes: a closed=%v, set holds %d; want a closed, 1 left", a.closed.Load(), s.Len())
	}
	clk.Advance(time.Hour)
	if b.closed.Load() {
		t.Fatal("a held client was closed for being idle")
	}
	rb() // idle from now
	clk.Advance(5*time.Minute - time.Second)
	if b.closed.Load() {
		t.Fatal("b closed before its idle timeout after release")
	}
	clk.Advance(time.Second)
	if !b.closed.Load() || s.Len() != 0 || d.open() != 0 {
		t.Fatalf("after b's idle timeout: b closed=%v, set holds %d", b.closed.Load(), s.Len())
	}
	if n := clk.pending(); n != 0 {
		t.Fatalf("an empty set keeps %d timers", n)
	}
	// a client used again is idle from its last use
	c, rc := get(t, s, "c")
	rc()
	clk.Advance(3 * time.Minute)
	_, rc = get(t, s, "c")
	rc()
	clk.Advance(3 * time.Minute)
	if c.closed.Load() {
		t.Fatal("closed 3 minutes after its last use")
	}
	clk.Advance(2 * time.Minute)
	if !c.closed.Load() {
		t.Fatal("not closed 5 minutes after its last use")
	}
}

func TestClientsNeverIdle(t *testing.T) {
	clk := newFakeClock()
	s, _ := newSet(t, registry.ClientsOptions{IdleTimeout: -1, Clock: clk})
	a, ra := get(t, s, "a")
	ra()
	clk.Advance(24 * time.Hour)
	if a.closed.Load() || clk.pending() != 0 {
		t.Fatal("IdleTimeout < 0 closed an idle client or set a timer")
	}
}

func TestClientsDialErrorNotRemembered(t *testing.T) {
	s, d := newSet(t, registry.ClientsOptions{})
	d.fail.Store(true)
	if _, _, err := s.Get(context.Background(), "a"); err == nil || err.Error() != "dial a: refused" {
		t.Fatalf("Get with a failing dial = %v", err)
	}
	if s.Len() != 0 {
		t.Fatalf("a failed dial left %d entries", s.Len())
	}
	d.fail.Store(false)
	_, release := get(t, s, "a")
	release()
}

func TestClientsWaitForAnotherDialHonoursContext(t *testing.T) {
	entered, unblock := make(chan struct{}), make(chan struct{})
	s := registry.NewClients(func(name string) (*watchClient, error) {
		close(entered)
		<-unblock
		return nil, errors.New("late")
	}, registry.ClientsOptions{})
	defer s.Close()
	go func() { _, _, _ = s.Get(context.Background(), "a") }()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.Get(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get waiting for another's dial with a cancelled ctx = %v", err)
	}
	close(unblock)
}

func TestClientsClose(t *testing.T) {
	s, d := newSet(t, registry.ClientsOptions{})
	for _, n := range []string{"a", "b", "c"} {
		_, release := get(t, s, n)
		release()
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d.open() != 0 {
		t.Fatalf("%d clients open after Close", d.open())
	}
	if _, _, err := s.Get(context.Background(), "a"); !errors.Is(err, registry.ErrClientsClosed) {
		t.Fatalf("Get after Close = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

// Many goroutines take clients of random names from a small set: no
// client is closed under a call (misuse), and Close leaves none open.
func TestClientsConcurrentChurn(t *testing.T) {
	s, d := newSet(t, registry.ClientsOptions{MaxSize: 4})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				c, release := get(t, s, fmt.Sprint("svc-", (g*7+i)%11))
				runtime.Gosched()
				if c.closed.Load() {
					t.Error("a held client was closed")
				}
				release()
			}
		})
	}
	wg.Wait()
	if s.Len() > 4 {
		t.Fatalf("set holds %d, MaxSize 4", s.Len())
	}
	_ = s.Close()
	if d.open() != 0 {
		t.Fatalf("%d clients open after Close", d.open())
	}
}

// The flood the example route once allowed: 20,000 names a caller made up.
// The set stays at MaxSize; goroutines and memory do not grow with the
// names.
func TestClientsFloodOfNamesLeavesGoroutinesAndMemoryFlat(t *testing.T) {
	s, d := newSet(t, registry.ClientsOptions{MaxSize: 64})
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	// warm up to the steady state: a full set
	for i := range 64 {
		_, release := get(t, s, fmt.Sprint("warm-", i))
		release()
	}
	goroutines, before := runtime.NumGoroutine(), heap()
	for i := range 20000 {
		_, release := get(t, s, fmt.Sprintf("random-%d-%x", i, i*2654435761))
		release()
	}
	if s.Len() != 64 || d.open() != 64 {
		t.Fatalf("after 20,000 names the set holds %d clients, %d open; want 64", s.Len(), d.open())
	}
	if n := runtime.NumGoroutine(); n > goroutines+2 {
		t.Fatalf("goroutines went from %d to %d over 20,000 names", goroutines, n)
	}
	d.mu.Lock()
	d.all = nil // the test's own record of every client
	d.mu.Unlock()
	grew := int64(heap()) - int64(before)
	t.Logf("heap grew %d KB", grew>>10)
	if grew > 512<<10 {
		t.Fatalf("the heap grew by %d KB over 20,000 names", grew>>10)
	}
}

// A dial that panics leaves no name stuck: the panic goes to the caller,
// and the next Get dials again.
func TestClientsDialPanicLeavesNoNameStuck(t *testing.T) {
	d := &dialer{reg: registry.NewMemory()}
	first := true
	s := registry.NewClients(func(name string) (*watchClient, error) {
		if first {
			first = false
			panic("dial blew up")
		}
		return d.dial(name)
	}, registry.ClientsOptions{})
	defer s.Close()
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the dial's panic did not reach the caller")
			}
		}()
		_, _, _ = s.Get(context.Background(), "a")
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, release, err := s.Get(ctx, "a")
	if err != nil {
		t.Fatalf("Get after a dial panicked = %v", err)
	}
	release()
}
