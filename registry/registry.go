// Package registry holds the service-discovery contracts: a Registrar that the
// App calls to announce the service after its servers start and to withdraw it
// first thing on shutdown, and the ServiceInstance it announces. Backends
// (memory, gossip, Consul, etcd, Kubernetes) implement it elsewhere.
package registry

import "context"

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
