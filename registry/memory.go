package registry

import (
	"context"
	"slices"
	"sort"
	"sync"
)

// Memory is the in-process Registry: a service's instances are visible to
// every client in the same process (tests, a monolith, the "mono" mode). It
// is safe for concurrent use.
type Memory struct {
	mu       sync.Mutex
	services map[string]map[string]*ServiceInstance // name → id → instance
	watchers map[string]map[*memoryWatcher]struct{}
}

var _ Registry = (*Memory)(nil)

// NewMemory returns an empty registry.
func NewMemory() *Memory {
	return &Memory{services: map[string]map[string]*ServiceInstance{}, watchers: map[string]map[*memoryWatcher]struct{}{}}
}

// Register implements Registrar; registering an ID again replaces it.
func (m *Memory) Register(_ context.Context, ins *ServiceInstance) error {
	if err := ins.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.services[ins.Name] == nil {
		m.services[ins.Name] = map[string]*ServiceInstance{}
	}
	m.services[ins.Name][ins.ID] = ins.Clone()
	m.notify(ins.Name)
	return nil
}

// Deregister implements Registrar.
func (m *Memory) Deregister(_ context.Context, ins *ServiceInstance) error {
	if ins == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.services[ins.Name][ins.ID]; !ok {
		return nil
	}
	delete(m.services[ins.Name], ins.ID)
	if len(m.services[ins.Name]) == 0 {
		delete(m.services, ins.Name)
	}
	m.notify(ins.Name)
	return nil
}

// list is name's instances sorted by ID; callers hold mu.
func (m *Memory) list(name string) []*ServiceInstance {
	out := make([]*ServiceInstance, 0, len(m.services[name]))
	for _, ins := range m.services[name] {
		out = append(out, ins.Clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// notify hands the new set to name's watchers; callers hold mu.
func (m *Memory) notify(name string) {
	for w := range m.watchers[name] {
		w.push(m.list(name))
	}
}

// ListServices implements Lister.
func (m *Memory) ListServices(context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.services))
	for name, set := range m.services {
		if len(set) > 0 {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// GetService implements Discovery.
func (m *Memory) GetService(_ context.Context, name string) ([]*ServiceInstance, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.list(name), nil
}

// Watch implements Discovery.
func (m *Memory) Watch(ctx context.Context, name string) (Watcher, error) {
	ctx, cancel := context.WithCancel(ctx)
	w := &memoryWatcher{m: m, name: name, ctx: ctx, cancel: cancel, ch: make(chan []*ServiceInstance, 1)}
	m.mu.Lock()
	if m.watchers[name] == nil {
		m.watchers[name] = map[*memoryWatcher]struct{}{}
	}
	m.watchers[name][w] = struct{}{}
	w.push(m.list(name))
	m.mu.Unlock()
	return w, nil
}

type memoryWatcher struct {
	m      *Memory
	name   string
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan []*ServiceInstance // holds the latest set not yet read
	once   sync.Once
}

// push replaces an unread set with the newer one: Next always returns the
// latest state, never a stale one.
func (w *memoryWatcher) push(set []*ServiceInstance) {
	select {
	case <-w.ch:
	default:
	}
	w.ch <- set
}

func (w *memoryWatcher) Next() ([]*ServiceInstance, error) {
	select {
	case set := <-w.ch:
		return slices.Clone(set), nil
	case <-w.ctx.Done():
		if w.stopped() {
			return nil, ErrWatcherStopped
		}
		return nil, w.ctx.Err()
	}
}

func (w *memoryWatcher) stopped() bool {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	_, ok := w.m.watchers[w.name][w]
	return !ok
}

func (w *memoryWatcher) Stop() error {
	w.once.Do(func() {
		w.m.mu.Lock()
		delete(w.m.watchers[w.name], w)
		if len(w.m.watchers[w.name]) == 0 {
			delete(w.m.watchers, w.name) // a watch of any name leaves nothing behind
		}
		w.m.mu.Unlock()
		w.cancel()
	})
	return nil
}
