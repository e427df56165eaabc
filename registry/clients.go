package registry

import (
	"container/list"
	"context"
	"errors"
	"io"
	"sync"
	"time"
)

// ClientsOptions tune a Clients set.
type ClientsOptions struct {
	// MaxSize bounds how many clients the set keeps (default 64). Making
	// one more closes the least recently used: at once when no call holds
	// it, else when the last call that holds it releases it.
	MaxSize int
	// IdleTimeout closes a client no call has held for this long (default
	// 5 min; negative: never), which ends its watch of the registry.
	IdleTimeout time.Duration
	// Clock is the time the set reads and its idle timer (default the
	// system's); tests move a fake one by hand.
	Clock Clock
}

// Clock is what a Clients set reads the time from and sets its idle timer
// on. time.Now and time.AfterFunc are the system's.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed; stop
	// cancels that and says whether it did.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// ErrClientsClosed is returned by Get after Close.
var ErrClientsClosed = errors.New("registry: clients closed")

// Clients is a bounded set of clients keyed by service name, for code that
// calls services by a name it learns at run time. A client for a name is
// made by dial on the first Get of the name, shared by the Gets after it,
// and closed — which ends its watch of the registry — when it has been idle
// for IdleTimeout, when MaxSize newer names pushed it out, or at Close. A
// client is never closed under a call: Get hands out a release func, and a
// client pushed out while held is closed at its last release.
//
//	users := registry.NewClients(func(name string) (*xhttp.Client, error) {
//		return xhttp.NewClient("discovery:///"+name, xhttp.WithDiscovery(reg, nil))
//	}, registry.ClientsOptions{MaxSize: 32})
//	defer users.Close()
//	c, release, err := users.Get(ctx, name)
//	if err != nil { ... }
//	defer release()
//
// Clients is safe for concurrent use; it starts no goroutine of its own
// (the idle timer is the Clock's).
type Clients[C io.Closer] struct {
	dial func(name string) (C, error)
	max  int
	idle time.Duration
	clk  Clock

	mu      sync.Mutex
	byName  map[string]*list.Element // of *clientEntry[C]
	lru     list.List                // front: most recently used
	closed  bool
	timerID uint64
	timerAt time.Time
	stop    func() bool // the pending idle timer; nil: none
}

type clientEntry[C io.Closer] struct {
	name   string
	c      C
	err    error
	ready  chan struct{} // closed when dial returned
	refs   int           // Gets not yet released
	used   time.Time     // last Get or release
	gone   bool          // out of the set: closed at the last release
	closed bool
}

// NewClients returns an empty set that makes clients with dial. dial is
// called once per name at a time, outside the set's lock, by the first Get
// of the name; a failed dial is not remembered (the next Get tries again).
func NewClients[C io.Closer](dial func(name string) (C, error), o ClientsOptions) *Clients[C] {
	if o.MaxSize <= 0 {
		o.MaxSize = 64
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 5 * time.Minute
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	return &Clients[C]{dial: dial, max: o.MaxSize, idle: o.IdleTimeout, clk: o.Clock, byName: map[string]*list.Element{}}
}

// Get returns name's client, making it if the set has none, and a release
// func to call once the call is done with it (calling it again does
// nothing). A Get that waits for another's dial of the same name gives up
// when ctx ends.
func (s *Clients[C]) Get(ctx context.Context, name string) (C, func(), error) {
	var zero C
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return zero, nil, ErrClientsClosed
	}
	now := s.clk.Now()
	victims := s.sweep(now)
	el, found := s.byName[name]
	if !found {
		if s.lru.Len() >= s.max {
			victims = append(victims, s.evict(s.lru.Back())...)
		}
		el = s.lru.PushFront(&clientEntry[C]{name: name, ready: make(chan struct{})})
		s.byName[name] = el
	}
	e := el.Value.(*clientEntry[C])
	e.refs++
	e.used = now
	s.lru.MoveToFront(el)
	s.arm(now)
	s.mu.Unlock()
	closeAll(victims)
	release := s.releaser(el)
	if !found {
		s.dialed(el, name)
	} else {
		select {
		case <-e.ready:
		case <-ctx.Done():
			release()
			return zero, nil, ctx.Err()
		}
	}
	if e.err != nil {
		release()
		return zero, nil, e.err
	}
	return e.c, release, nil
}

// dialed runs dial for the entry el and records what it returned (a
// panic of dial is recorded as an error, then goes on up).
func (s *Clients[C]) dialed(el *list.Element, name string) {
	e := el.Value.(*clientEntry[C])
	var c C
	err := errors.New("registry: dial of " + name + " panicked")
	defer func() { s.record(el, e, c, err) }()
	c, err = s.dial(name)
}

func (s *Clients[C]) record(el *list.Element, e *clientEntry[C], c C, err error) {
	s.mu.Lock()
	e.c, e.err = c, err
	if err == nil && s.closed { // Close ran meanwhile: it could not close this one
		e.err, e.closed = ErrClientsClosed, true
		defer func() { _ = c.Close() }()
	}
	if err != nil && !e.gone {
		s.remove(el)
	}
	close(e.ready)
	s.mu.Unlock()
}

// releaser returns the release func of one Get of el.
func (s *Clients[C]) releaser(el *list.Element) func() {
	e := el.Value.(*clientEntry[C])
	released := false
	return func() {
		s.mu.Lock()
		if released {
			s.mu.Unlock()
			return
		}
		released = true
		e.refs--
		var victims []*clientEntry[C]
		if e.gone {
			victims = s.closable(e)
		} else if !s.closed {
			e.used = s.clk.Now()
			s.lru.MoveToFront(el)
			s.arm(e.used)
		}
		s.mu.Unlock()
		closeAll(victims)
	}
}

// Len returns how many clients the set holds.
func (s *Clients[C]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}

// Close closes every client, held or not, and makes later Gets fail with
// ErrClientsClosed. Call it when the calls have ended (at shutdown).
func (s *Clients[C]) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
	var victims []*clientEntry[C]
	for el := s.lru.Front(); el != nil; el = el.Next() {
		e := el.Value.(*clientEntry[C])
		e.gone = true
		if isReady(e) && e.err == nil && !e.closed {
			e.closed = true
			victims = append(victims, e)
		}
	}
	s.lru.Init()
	clear(s.byName)
	s.mu.Unlock()
	return closeAll(victims)
}

// sweep takes out the clients idle since before now-IdleTimeout and returns
// those to close; callers hold mu.
func (s *Clients[C]) sweep(now time.Time) []*clientEntry[C] {
	if s.idle < 0 {
		return nil
	}
	var victims []*clientEntry[C]
	for el := s.lru.Back(); el != nil; {
		prev := el.Prev()
		e := el.Value.(*clientEntry[C])
		if e.refs == 0 {
			if now.Sub(e.used) < s.idle {
				break // the rest were used later
			}
			victims = append(victims, s.evict(el)...)
		}
		el = prev
	}
	return victims
}

// evict takes el out of the set and returns its client if it is to be
// closed now; callers hold mu.
func (s *Clients[C]) evict(el *list.Element) []*clientEntry[C] {
	e := el.Value.(*clientEntry[C])
	s.remove(el)
	return s.closable(e)
}

func (s *Clients[C]) remove(el *list.Element) {
	e := el.Value.(*clientEntry[C])
	e.gone = true
	s.lru.Remove(el)
	if s.byName[e.name] == el {
		delete(s.byName, e.name)
	}
}

// closable returns e if it is out of the set, dialled, unheld and open, and
// marks it closed; callers hold mu.
func (s *Clients[C]) closable(e *clientEntry[C]) []*clientEntry[C] {
	if !e.gone || e.refs > 0 || e.closed || !isReady(e) || e.err != nil {
		return nil
	}
	e.closed = true
	return []*clientEntry[C]{e}
}

// arm sets the idle timer for the oldest unheld client, if any; callers
// hold mu.
func (s *Clients[C]) arm(now time.Time) {
	if s.idle < 0 || s.closed {
		return
	}
	var at time.Time
	for el := s.lru.Back(); el != nil; el = el.Prev() {
		if e := el.Value.(*clientEntry[C]); e.refs == 0 {
			at = e.used.Add(s.idle)
			break
		}
	}
	if s.stop != nil && at.Equal(s.timerAt) {
		return
	}
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
	if at.IsZero() {
		return
	}
	s.timerID++
	id := s.timerID
	s.timerAt = at
	s.stop = s.clk.AfterFunc(max(at.Sub(now), 0), func() { s.expire(id) })
}

// expire is the idle timer: it closes the clients idle for IdleTimeout.
func (s *Clients[C]) expire(id uint64) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if id == s.timerID {
		s.stop = nil
	}
	now := s.clk.Now()
	victims := s.sweep(now)
	s.arm(now)
	s.mu.Unlock()
	closeAll(victims)
}

func isReady[C io.Closer](e *clientEntry[C]) bool {
	select {
	case <-e.ready:
		return true
	default:
		return false
	}
}

func closeAll[C io.Closer](victims []*clientEntry[C]) error {
	var errs []error
	for _, e := range victims {
		if err := e.c.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
