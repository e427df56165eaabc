package consul

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/goxkit/gox/registry"
)

// GetService returns name's instances whose checks pass.
func (r *Registry) GetService(ctx context.Context, name string) ([]*registry.ServiceInstance, error) {
	set, _, err := r.query(ctx, name, 0)
	return set, err
}

// ListServices implements registry.Lister: the services of the catalog
// with at least one passing instance, except Consul's own.
func (r *Registry) ListServices(ctx context.Context) ([]string, error) {
	checks, _, err := r.cli.Health().State(api.HealthPassing, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("consul registry: listing services at %s: %w", r.agent, err)
	}
	seen := map[string]bool{}
	for _, c := range checks {
		if c.ServiceName != "" && c.ServiceName != "consul" {
			seen[c.ServiceName] = true
		}
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	slices.Sort(out)
	return out, nil
}

// query reads name's passing instances; with index > 0 it blocks until the
// set changes after index or WaitTime passes.
func (r *Registry) query(ctx context.Context, name string, index uint64) ([]*registry.ServiceInstance, uint64, error) {
	q := (&api.QueryOptions{WaitIndex: index, WaitTime: r.cfg.WaitTime}).WithContext(ctx)
	entries, meta, err := r.cli.Health().Service(name, "", true, q)
	if err != nil {
		return nil, 0, fmt.Errorf("consul registry: reading %s at %s: %w", name, r.agent, err)
	}
	set := make([]*registry.ServiceInstance, 0, len(entries))
	for _, e := range entries {
		if ins := r.decode(e.Service); ins != nil {
			set = append(set, ins)
		}
	}
	slices.SortFunc(set, func(a, b *registry.ServiceInstance) int { return strings.Compare(a.ID, b.ID) })
	return set, meta.LastIndex, nil
}

// decode turns a Consul service into an instance: endpoints from the tagged
// addresses (a full URL, as gox and kratos write them, or a host with the
// scheme as key), else http://address:port. One with no usable address is
// logged and skipped.
func (r *Registry) decode(s *api.AgentService) *registry.ServiceInstance {
	ins := &registry.ServiceInstance{ID: s.ID, Name: s.Service, Metadata: map[string]string{}}
	for _, t := range s.Tags {
		if v, ok := strings.CutPrefix(t, versionTag); ok {
			ins.Version = v
		}
	}
	for k, v := range s.Meta {
		ins.Metadata[k] = v
	}
	var bad []string
	keys := make([]string, 0, len(s.TaggedAddresses))
	for k := range s.TaggedAddresses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, scheme := range keys {
		a := s.TaggedAddresses[scheme]
		if isConsulAddressKey(scheme) {
			continue
		}
		if u, err := url.Parse(a.Address); err == nil && u.Scheme == scheme && u.Host != "" {
			ins.Endpoints = append(ins.Endpoints, a.Address)
			continue
		}
		e, ok := endpoint(scheme, a.Address, a.Port)
		if !ok {
			bad = append(bad, scheme+"="+a.Address)
			continue
		}
		ins.Endpoints = append(ins.Endpoints, e)
	}
	if len(ins.Endpoints) == 0 {
		if e, ok := endpoint("http", s.Address, s.Port); ok {
			ins.Endpoints = []string{e}
		}
	}
	if len(bad) > 0 || ins.Validate() != nil {
		r.logger.Warn("consul registry: ignoring a malformed service", "service", s.Service, "id", s.ID,
			"bad_tagged_addresses", bad, "address", s.Address, "port", s.Port)
		if len(ins.Endpoints) == 0 || ins.Validate() != nil {
			return nil
		}
	}
	return ins
}

// endpoint is scheme://host:port, if that is a URL a client can dial: a
// peer's scheme key or host may be anything.
func endpoint(scheme, host string, port int) (string, bool) {
	if host == "" || port <= 0 || port > 65535 || strings.Contains(host, "/") {
		return "", false
	}
	e := scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port))
	if u, err := url.Parse(e); err != nil || u.Scheme != scheme || u.Hostname() != host {
		return "", false
	}
	return e, true
}

// Watch follows name's passing instances with blocking queries.
func (r *Registry) Watch(ctx context.Context, name string) (registry.Watcher, error) {
	set, index, err := r.query(ctx, name, 0)
	if err != nil {
		return nil, err
	}
	w := registry.NewLatest(ctx, set)
	stopOnClose := context.AfterFunc(r.ctx, func() { _ = w.Stop() })
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer stopOnClose()
		r.follow(w, name, set, index)
	}()
	return w, nil
}

// follow runs blocking queries for name until w ends, publishing each
// changed set.
func (r *Registry) follow(w *registry.Latest, name string, set []*registry.ServiceInstance, index uint64) {
	ctx := w.Context()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		fresh, next, err := r.query(ctx, name, max(index, 1))
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			// after a lost connection the agent may have restarted with a
			// smaller index: a query at the old one would block for WaitTime
			// on a set that has already changed. Read it all again.
			index = 0
			continue
		}
		backoff = 100 * time.Millisecond
		if next < index { // the agent's state started over: read it all again
			next = 0
		}
		index = next
		if !reflect.DeepEqual(set, fresh) {
			set = fresh
			w.Publish(fresh)
		}
	}
}
