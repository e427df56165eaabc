package casbin

import "sync"

// maxDecisionKey bounds the bytes of (subject, object, action) a decision
// is cached under: with object "path" the object is whatever path a client
// asks for, and a longer key is checked by casbin every time rather than
// kept. Memory is then bounded by cache_size × maxDecisionKey.
const maxDecisionKey = 1024

type decisionKey struct{ sub, obj, act string }

type decision struct {
	key        decisionKey
	allowed    bool
	prev, next *decision
}

// decisions is a least-recently-used cache of casbin's answers, of at most
// max entries. One is made per policy set, so a reload starts with an empty
// one: a call never sees a decision of policies no longer in force.
type decisions struct {
	mu   sync.Mutex
	max  int
	m    map[decisionKey]*decision
	root decision // root.next: most recently used; root.prev: least
}

func newDecisions(max int) *decisions {
	d := &decisions{max: max, m: make(map[decisionKey]*decision, min(max, 1024))}
	d.root.next, d.root.prev = &d.root, &d.root
	return d
}

// get returns the decision cached for k and whether there is one.
func (d *decisions) get(k decisionKey) (allowed, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.m[k]
	if !ok {
		return false, false
	}
	d.unlink(e)
	d.pushFront(e)
	return e.allowed, true
}

// put caches allowed for k, evicting the least recently used decision when
// the cache is full.
func (d *decisions) put(k decisionKey, allowed bool) {
	if len(k.sub)+len(k.obj)+len(k.act) > maxDecisionKey {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.m[k]; ok {
		e.allowed = allowed
		d.unlink(e)
		d.pushFront(e)
		return
	}
	var e *decision
	if len(d.m) >= d.max {
		e = d.root.prev // reused: a full cache allocates nothing more
		d.unlink(e)
		delete(d.m, e.key)
	} else {
		e = new(decision)
	}
	e.key, e.allowed = k, allowed
	d.m[k] = e
	d.pushFront(e)
}

// len returns the number of decisions cached.
func (d *decisions) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.m)
}

func (d *decisions) unlink(e *decision) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (d *decisions) pushFront(e *decision) {
	e.prev, e.next = &d.root, d.root.next
	d.root.next.prev = e
	d.root.next = e
}
