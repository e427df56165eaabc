// Package consul is a service registry on HashiCorp Consul: instances are
// registered with the local agent together with a health check, and
// discovery returns only the instances whose checks pass.
//
// Two kinds of check:
//
//   - "ttl" (the default): the registering process tells the agent every
//     TTL/3 that it is alive. A process that dies stops, and its instance
//     leaves discovery within CheckTTL.
//   - "http" / "grpc": the agent probes the instance itself — GET /readyz on
//     its http:// endpoint, or the standard gRPC health service on its
//     grpc:// endpoint — every CheckInterval. A process that stops serving
//     leaves discovery even if it still runs.
//
// It heals itself: when the agent no longer knows an instance (it restarted,
// or lost its state) the registry registers the instance again, with
// backoff; watches are blocking queries, which return the whole set each
// time and start over when the agent's index goes backwards.
//
//	reg, err := consul.New(consul.Config{Address: "127.0.0.1:8500"})
//	defer reg.Close()
//	app := gox.New(gox.WithRegistrar(registry.NewKeeper(reg, registry.KeeperOptions{})), ...)
//	users, err := xhttp.NewClient("discovery:///users", xhttp.WithDiscovery(reg, nil))
package consul

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/goxkit/gox/registry"
)

// Config is the Consul registry's configuration.
type Config struct {
	// Address of the Consul agent's HTTP API (default 127.0.0.1:8500, or
	// CONSUL_HTTP_ADDR when set).
	Address string `yaml:"address"`
	// Scheme is http or https (default http).
	Scheme string `yaml:"scheme"`
	// Token is the ACL token, if ACLs are enabled.
	Token string `yaml:"token"`
	// Datacenter to register in and discover from (default: the agent's).
	Datacenter string `yaml:"datacenter"`
	// Check is how Consul decides an instance is healthy: "ttl" (default),
	// "http" or "grpc" (see the package doc).
	Check string `yaml:"check"`
	// CheckTTL is the TTL of a "ttl" check (default 10 s, at least 1 s).
	CheckTTL time.Duration `yaml:"check_ttl"`
	// CheckInterval is how often the agent probes an "http" or "grpc" check
	// (default 10 s); each probe times out after half of it.
	CheckInterval time.Duration `yaml:"check_interval"`
	// HTTPCheckPath is the path an "http" check requests (default /readyz).
	HTTPCheckPath string `yaml:"http_check_path"`
	// DeregisterCriticalAfter removes an instance whose check has been
	// failing this long (default 1 m, Consul's minimum).
	DeregisterCriticalAfter time.Duration `yaml:"deregister_critical_after"`
	// WaitTime bounds one blocking query of a watch (default 1 m).
	WaitTime time.Duration `yaml:"wait_time"`
}

// DefaultConfig is the configuration whose zero values New fills in, spelt
// out (with the agent at 127.0.0.1:8500).
func DefaultConfig() Config {
	return Config{Address: "127.0.0.1:8500", Scheme: "http", Check: "ttl", CheckTTL: 10 * time.Second,
		CheckInterval: 10 * time.Second, HTTPCheckPath: "/readyz", DeregisterCriticalAfter: time.Minute, WaitTime: time.Minute}
}

// Registry is a registry.Registry on Consul; safe for concurrent use.
type Registry struct {
	cfg    Config
	cli    *api.Client
	idle   func() // closes the client's idle connections
	logger *slog.Logger

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	local map[string]*entry // instance ID → what this process registered
}

type entry struct {
	reg    *api.AgentServiceRegistration
	cancel context.CancelFunc
	done   chan struct{}
}

var _ registry.Registry = (*Registry)(nil)

// Option tunes New.
type Option func(*Registry)

// WithLogger is where the registry logs re-registrations and malformed
// services (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(r *Registry) { r.logger = l } }

// New makes a registry talking to the agent at c.Address. It does not
// connect: an unreachable agent is an error of the first Register or
// GetService, which registry.Keeper turns into a degraded or a failed start.
func New(c Config, opts ...Option) (*Registry, error) {
	if c.Check == "" {
		c.Check = "ttl"
	}
	switch c.Check {
	case "ttl", "http", "grpc":
	default:
		return nil, fmt.Errorf("consul registry: check %q: want ttl, http or grpc", c.Check)
	}
	if c.CheckTTL == 0 {
		c.CheckTTL = 10 * time.Second
	}
	if c.CheckTTL < time.Second {
		return nil, fmt.Errorf("consul registry: check_ttl %v is below the 1s minimum", c.CheckTTL)
	}
	if c.CheckInterval <= 0 {
		c.CheckInterval = 10 * time.Second
	}
	if c.HTTPCheckPath == "" {
		c.HTTPCheckPath = "/readyz"
	}
	if c.DeregisterCriticalAfter <= 0 {
		c.DeregisterCriticalAfter = time.Minute
	}
	if c.WaitTime <= 0 {
		c.WaitTime = time.Minute
	}
	ac := api.DefaultConfig()
	if c.Address != "" {
		ac.Address = c.Address
	}
	if c.Scheme != "" {
		ac.Scheme = c.Scheme
	}
	if c.Token != "" {
		ac.Token = c.Token
	}
	ac.Datacenter = c.Datacenter
	cli, err := api.NewClient(ac)
	if err != nil {
		return nil, fmt.Errorf("consul registry: client for %s: %w", ac.Address, err)
	}
	c.Address = ac.Address
	r := &Registry{cfg: c, cli: cli, idle: ac.Transport.CloseIdleConnections, logger: slog.Default(), local: map[string]*entry{}}
	for _, o := range opts {
		o(r)
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

// Client is the Consul API client the registry uses.
func (r *Registry) Client() *api.Client { return r.cli }

// Close stops the TTL updates and re-registrations (without deregistering:
// the App deregisters first), ends every watch, and closes the connections
// to the agent.
func (r *Registry) Close() error {
	r.cancel()
	r.wg.Wait()
	r.idle()
	return nil
}

// metaKey is what Consul accepts as a metadata key.
var metaKey = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// versionTag carries the instance's version among the service's tags.
const versionTag = "version="

// registration turns ins into Consul's form: the first endpoint is the
// service address, each endpoint is a tagged address under its scheme (as
// kratos does, so either can discover the other), the version a tag.
func (r *Registry) registration(ins *registry.ServiceInstance) (*api.AgentServiceRegistration, error) {
	reg := &api.AgentServiceRegistration{ID: ins.ID, Name: ins.Name, Meta: map[string]string{},
		TaggedAddresses: map[string]api.ServiceAddress{}}
	if ins.Version != "" {
		reg.Tags = []string{versionTag + ins.Version}
	}
	for k, v := range ins.Metadata {
		if !metaKey.MatchString(k) || strings.HasPrefix(k, "consul-") {
			return nil, fmt.Errorf("consul registry: instance %s: metadata key %q: Consul allows letters, digits, _ and - (at most 128, not starting with consul-)", ins.ID, k)
		}
		if len(v) > 512 {
			return nil, fmt.Errorf("consul registry: instance %s: metadata %q is %d bytes; Consul allows 512", ins.ID, k, len(v))
		}
		reg.Meta[k] = v
	}
	for i, e := range ins.Endpoints {
		u, err := url.Parse(e)
		if err != nil || u.Scheme == "" || u.Hostname() == "" {
			return nil, fmt.Errorf("consul registry: instance %s: endpoint %q is not scheme://host:port", ins.ID, e)
		}
		port, err := strconv.Atoi(u.Port())
		if err != nil {
			return nil, fmt.Errorf("consul registry: instance %s: endpoint %q has no port", ins.ID, e)
		}
		if isConsulAddressKey(u.Scheme) {
			return nil, fmt.Errorf("consul registry: instance %s: endpoint scheme %q is a name Consul reserves", ins.ID, u.Scheme)
		}
		if _, dup := reg.TaggedAddresses[u.Scheme]; dup {
			return nil, fmt.Errorf("consul registry: instance %s: two %s endpoints; Consul keeps one per scheme", ins.ID, u.Scheme)
		}
		reg.TaggedAddresses[u.Scheme] = api.ServiceAddress{Address: e, Port: port}
		if i == 0 {
			reg.Address, reg.Port = u.Hostname(), port
		}
	}
	check := &api.AgentServiceCheck{CheckID: checkID(ins.ID), Name: "gox " + r.cfg.Check,
		Status: api.HealthPassing, DeregisterCriticalServiceAfter: r.cfg.DeregisterCriticalAfter.String()}
	switch r.cfg.Check {
	case "ttl":
		check.TTL = r.cfg.CheckTTL.String()
	case "http":
		e := ins.Endpoint("http")
		if e == "" {
			return nil, fmt.Errorf("consul registry: instance %s: check is http but it has no http:// endpoint", ins.ID)
		}
		check.HTTP = strings.TrimSuffix(e, "/") + r.cfg.HTTPCheckPath
		check.Interval, check.Timeout = r.cfg.CheckInterval.String(), (r.cfg.CheckInterval / 2).String()
	case "grpc":
		e := ins.Endpoint("grpc")
		if e == "" {
			return nil, fmt.Errorf("consul registry: instance %s: check is grpc but it has no grpc:// endpoint", ins.ID)
		}
		check.GRPC = strings.TrimPrefix(e, "grpc://")
		check.Interval, check.Timeout = r.cfg.CheckInterval.String(), (r.cfg.CheckInterval / 2).String()
	}
	reg.Check = check
	return reg, nil
}

func checkID(id string) string { return "service:" + id }

// isConsulAddressKey says whether Consul fills this tagged address itself.
func isConsulAddressKey(k string) bool {
	switch k {
	case "lan", "wan", "lan_ipv4", "lan_ipv6", "wan_ipv4", "wan_ipv6", "virtual":
		return true
	}
	return false
}

// Register registers the instance with the agent, with its check, and keeps
// it there: a "ttl" check is passed every CheckTTL/3, and an instance the
// agent lost is registered again.
func (r *Registry) Register(ctx context.Context, ins *registry.ServiceInstance) error {
	if err := ins.Validate(); err != nil {
		return err
	}
	reg, err := r.registration(ins)
	if err != nil {
		return err
	}
	if r.ctx.Err() != nil {
		return errors.New("consul registry: closed")
	}
	if err := r.cli.Agent().ServiceRegisterOpts(reg, api.ServiceRegisterOpts{}.WithContext(ctx)); err != nil {
		return fmt.Errorf("consul registry: registering %s with the agent at %s: %w", ins.ID, r.cfg.Address, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e := r.local[ins.ID]; e != nil {
		e.reg = reg
		return nil
	}
	ctx, cancel := context.WithCancel(r.ctx)
	e := &entry{reg: reg, cancel: cancel, done: make(chan struct{})}
	r.local[ins.ID] = e
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(e.done)
		r.keep(ctx, e)
	}()
	return nil
}

// keep passes e's TTL check (or, for agent-probed checks, confirms the agent
// still has e) every period; when the agent does not know e it registers e
// again, backing off up to the period.
func (r *Registry) keep(ctx context.Context, e *entry) {
	period := r.cfg.CheckTTL / 3
	if r.cfg.Check != "ttl" {
		period = r.cfg.CheckInterval
	}
	wait, backoff := period, 50*time.Millisecond // retries: 100 ms doubling to period
	lost := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		r.mu.Lock()
		reg := e.reg
		r.mu.Unlock()
		cctx, cancel := context.WithTimeout(ctx, period)
		err := r.touch(cctx, reg)
		if errors.Is(err, errUnknown) {
			if !lost {
				r.logger.Warn("consul registry: the agent lost the instance; registering again", "service", reg.Name, "id", reg.ID, "agent", r.cfg.Address)
			}
			err = r.cli.Agent().ServiceRegisterOpts(reg, api.ServiceRegisterOpts{}.WithContext(cctx))
			if err == nil {
				r.logger.Info("consul registry: registered again", "service", reg.Name, "id", reg.ID)
			}
			lost = err != nil
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			backoff = min(backoff*2, period)
			wait = backoff
			continue
		}
		wait, backoff = period, 50*time.Millisecond
	}
}

var errUnknown = errors.New("the agent does not know the instance")

// touch passes reg's TTL check, or checks that the agent has reg.
func (r *Registry) touch(ctx context.Context, reg *api.AgentServiceRegistration) error {
	if r.cfg.Check == "ttl" {
		err := r.cli.Agent().UpdateTTLOpts(checkID(reg.ID), "", api.HealthPassing, (&api.QueryOptions{}).WithContext(ctx))
		if notFound(err) {
			return errUnknown
		}
		return err
	}
	_, _, err := r.cli.Agent().Service(reg.ID, (&api.QueryOptions{}).WithContext(ctx))
	if notFound(err) {
		return errUnknown
	}
	return err
}

// notFound says whether err is the agent's 404 (or its "unknown check" 500).
func notFound(err error) bool {
	if err == nil {
		return false
	}
	var se api.StatusError
	if errors.As(err, &se) && se.Code == 404 {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "404") || strings.Contains(s, "Unknown check") || strings.Contains(s, "does not have associated TTL")
}

// Deregister removes the instance from the agent; an unknown one is not an
// error.
func (r *Registry) Deregister(ctx context.Context, ins *registry.ServiceInstance) error {
	if ins == nil {
		return errors.New("consul registry: deregister: instance is nil")
	}
	r.mu.Lock()
	e := r.local[ins.ID]
	delete(r.local, ins.ID)
	r.mu.Unlock()
	if e != nil {
		e.cancel()
		<-e.done
	}
	err := r.cli.Agent().ServiceDeregisterOpts(ins.ID, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil && !notFound(err) {
		return fmt.Errorf("consul registry: deregistering %s at %s: %w", ins.ID, r.cfg.Address, err)
	}
	return nil
}

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
		return nil, fmt.Errorf("consul registry: listing services at %s: %w", r.cfg.Address, err)
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
		return nil, 0, fmt.Errorf("consul registry: reading %s at %s: %w", name, r.cfg.Address, err)
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
