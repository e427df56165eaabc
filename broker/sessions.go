package broker

import "sync"

// Sessions keeps a Subscriber backend's sessions — a Kafka group member, a
// NATS pull, an AMQP channel —, one per topic and group, and counts the
// subscriptions on each, so that the last Release ends it. It is safe for
// concurrent use.
type Sessions[S any] struct {
	mu     sync.Mutex
	m      map[[2]string]*sessionEntry[S]
	closed bool
}

type sessionEntry[S any] struct {
	s    S
	refs int
}

// Get returns the session of topic and group, opening one with open (called
// without the lock held) when there is none; if another caller opened one
// meanwhile, discard gets the spare. hold counts a subscription (Subscribe)
// or not (a bare Receive). After Close it returns ErrClosed.
func (ss *Sessions[S]) Get(topic, group string, hold bool, open func() (S, error), discard func(S)) (S, error) {
	k := [2]string{topic, group}
	var zero S
	ss.mu.Lock()
	if ss.closed {
		ss.mu.Unlock()
		return zero, ErrClosed
	}
	if e, ok := ss.m[k]; ok {
		if hold {
			e.refs++
		}
		ss.mu.Unlock()
		return e.s, nil
	}
	ss.mu.Unlock()
	s, err := open()
	if err != nil {
		return zero, err
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	e, ok := ss.m[k]
	if ss.closed || ok {
		discard(s)
		if !ok {
			return zero, ErrClosed
		}
	} else {
		if ss.m == nil {
			ss.m = map[[2]string]*sessionEntry[S]{}
		}
		e = &sessionEntry[S]{s: s}
		ss.m[k] = e
	}
	if hold {
		e.refs++
	}
	return e.s, nil
}

// Release drops one subscription of topic and group; it returns the session
// and true when that was the last one (the caller ends the session).
func (ss *Sessions[S]) Release(topic, group string) (S, bool) {
	k := [2]string{topic, group}
	var zero S
	ss.mu.Lock()
	defer ss.mu.Unlock()
	e, ok := ss.m[k]
	if !ok {
		return zero, false
	}
	if e.refs--; e.refs > 0 {
		return zero, false
	}
	delete(ss.m, k)
	return e.s, true
}

// Close refuses new sessions and returns every open one, to be ended by the
// caller.
func (ss *Sessions[S]) Close() []S {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.closed = true
	out := make([]S, 0, len(ss.m))
	for _, e := range ss.m {
		out = append(out, e.s)
	}
	ss.m = nil
	return out
}
