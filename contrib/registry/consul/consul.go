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
//	reg, err := consul.New(client, consul.WithConfig(consul.Config{Check: "http"})) // your api.Client
//	reg, err := consul.Open(consul.Config{Address: "127.0.0.1:8500"})                 // or one from config
//	defer reg.Close()
//	app := gox.New(gox.WithRegistrar(registry.NewKeeper(reg, registry.KeeperOptions{})), ...)
//	users, err := xhttp.NewClient("discovery:///users", xhttp.WithDiscovery(reg, nil))
package consul

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/goxkit/gox/registry"
)

// Registry is a registry.Registry on Consul; safe for concurrent use.
type Registry struct {
	cfg    Config
	cli    *api.Client
	agent  string // the agent's address, for errors and logs
	idle   func() // closes the idle connections of a client Open made
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

// Client is the Consul API client the registry uses.
func (r *Registry) Client() *api.Client { return r.cli }

// Close stops the TTL updates and re-registrations (without deregistering:
// the App deregisters first), ends every watch, and closes the connections
// to the agent.
func (r *Registry) Close() error {
	r.cancel()
	r.wg.Wait()
	if r.idle != nil {
		r.idle()
	}
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
		return fmt.Errorf("consul registry: registering %s with the agent at %s: %w", ins.ID, r.agent, err)
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
				r.logger.Warn("consul registry: the agent lost the instance; registering again", "service", reg.Name, "id", reg.ID, "agent", r.agent)
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
		return fmt.Errorf("consul registry: deregistering %s at %s: %w", ins.ID, r.agent, err)
	}
	return nil
}
