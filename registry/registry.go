// Package registry holds the service-discovery contracts: a Registrar that the
// App calls to announce the service after its servers start and to withdraw it
// first thing on shutdown, a Discovery that clients ask for a service's
// instances and watch for changes, and the ServiceInstance both speak of.
// Memory is the in-process implementation; gossip, Consul, etcd and DNS live
// in contrib/registry, and registrytest is the contract they all pass.
// Clients keeps the clients of services called by a name learned at run
// time: bounded, and closed when idle. Keeper keeps an instance registered.
package registry

import (
	"context"
	"errors"
)

// ServiceInstance is one running copy of a service.
type ServiceInstance struct {
	// ID is unique per process.
	ID string `json:"id"`
	// Name is the service name callers discover it by.
	Name string `json:"name"`
	// Version is the build version.
	Version string `json:"version"`
	// Metadata is free-form (zone, weight, ...).
	Metadata map[string]string `json:"metadata,omitempty"`
	// Endpoints are URLs such as http://10.0.0.7:8080 and grpc://10.0.0.7:9090.
	Endpoints []string `json:"endpoints"`
}

// Registrar announces and withdraws instances. Register may be called again
// for the same ID to refresh it; Deregister of an unknown instance is not an
// error. Both honour ctx and are safe for concurrent use.
type Registrar interface {
	Register(ctx context.Context, ins *ServiceInstance) error
	Deregister(ctx context.Context, ins *ServiceInstance) error
}

// Discovery finds the instances of a service.
type Discovery interface {
	// GetService returns the instances of name registered now; none is an
	// empty slice, not an error.
	GetService(ctx context.Context, name string) ([]*ServiceInstance, error)
	// Watch follows name's instances: the Watcher's first Next returns the
	// current set, each later one the set after a change.
	Watch(ctx context.Context, name string) (Watcher, error)
}

// Watcher follows one service's instances.
type Watcher interface {
	// Next blocks until the set changed (the first call returns at once) and
	// returns the whole set, or returns the watch context's error, or
	// ErrWatcherStopped after Stop.
	Next() ([]*ServiceInstance, error)
	// Stop ends the watch; a blocked Next returns.
	Stop() error
}

// Registry is a Registrar that is also a Discovery.
type Registry interface {
	Registrar
	Discovery
}

// Lister is what a Discovery that can enumerate its services implements
// (memory, gossip, Consul, etcd; not DNS). The registry UI lists them.
type Lister interface {
	// ListServices returns the names of the services with at least one
	// instance, sorted.
	ListServices(ctx context.Context) ([]string, error)
}

// ErrWatcherStopped is returned by Next after Stop.
var ErrWatcherStopped = errors.New("registry: watcher stopped")

// Validate checks what every backend needs of an instance: an ID, a name and
// at least one endpoint.
func (s *ServiceInstance) Validate() error {
	switch {
	case s == nil:
		return errors.New("registry: instance is nil")
	case s.ID == "":
		return errors.New("registry: instance id is empty")
	case s.Name == "":
		return errors.New("registry: instance " + s.ID + ": name is empty")
	case len(s.Endpoints) == 0:
		return errors.New("registry: instance " + s.ID + " of " + s.Name + ": no endpoints")
	}
	return nil
}

// Clone returns a deep copy.
func (s *ServiceInstance) Clone() *ServiceInstance {
	c := *s
	if s.Metadata != nil {
		c.Metadata = make(map[string]string, len(s.Metadata))
		for k, v := range s.Metadata {
			c.Metadata[k] = v
		}
	}
	c.Endpoints = append([]string(nil), s.Endpoints...)
	return &c
}

// Endpoint returns the instance's first endpoint with scheme ("http",
// "grpc"), or "".
func (s *ServiceInstance) Endpoint(scheme string) string {
	for _, e := range s.Endpoints {
		if len(e) > len(scheme)+3 && e[:len(scheme)+3] == scheme+"://" {
			return e
		}
	}
	return ""
}
