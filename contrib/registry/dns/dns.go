// Package dns discovers services through DNS, the way Kubernetes publishes
// them: SRV records for a Service's named ports, and A/AAAA records for a
// headless Service's pods. There is nothing to register — the platform
// keeps the records — so this is a registry.Discovery and not a Registrar;
// a service in DNS mode runs with no registrar.
//
// For a service name the discovery looks up, for each scheme it knows
// (http and grpc by default), the SRV record _<scheme>._tcp.<host>, where
// <host> is the name made from Config.Domain. Each SRV target is one
// instance, its ID the target's first label (a StatefulSet pod's name, or
// the dashed IP Kubernetes gives a Deployment's pod), with one endpoint per
// scheme, at the target's address (looked up once, so a client dials an
// IP and needs no DNS of its own; metadata dns_target and address say
// which). A name with no SRV records at all is looked up as A/AAAA
// records, one instance per address, with the ports of Config.Ports. DNS
// carries no version: instances have none.
//
// DNS has no push: a watch looks the name up again every Refresh.
//
//	d, err := dns.Open(dns.Config{Domain: "default.svc.cluster.local", Ports: map[string]int{"grpc": 9090}})
//	users, err := xgrpc.Dial(ctx, "discovery:///users", xgrpc.WithDiscovery(d, nil))
package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goxkit/gox/internal/option"
	"github.com/goxkit/gox/registry"
)

// Config is the DNS discovery's configuration. Server is Open's, for the
// resolver it makes; the rest tunes the discovery, whichever way it got its
// resolver (WithConfig).
type Config struct {
	// Domain is appended to a service name to make the name looked up:
	// "default.svc.cluster.local" turns users into
	// users.default.svc.cluster.local. Empty: the bare name, which the
	// resolver completes with its search domains (a pod's resolv.conf names
	// its namespace's).
	Domain string `yaml:"domain"`
	// Schemes are the port names looked up as SRV records (default http,
	// grpc): in Kubernetes, the names of the Service's ports.
	Schemes []string `yaml:"schemes"`
	// Ports are the ports of each scheme for names that have only A/AAAA
	// records (default http 8080, grpc 9090).
	Ports map[string]int `yaml:"ports"`
	// Server is a DNS server, host:port, to ask instead of the system's.
	Server string `yaml:"server"`
	// Refresh is how often a watch looks the name up again (default 5 s).
	Refresh time.Duration `yaml:"refresh"`
	// Timeout bounds one look-up (default 2 s).
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultConfig is the configuration whose zero values New fills in, spelt
// out.
func DefaultConfig() Config {
	return Config{Schemes: []string{"http", "grpc"}, Ports: map[string]int{"http": 8080, "grpc": 9090},
		Refresh: 5 * time.Second, Timeout: 2 * time.Second}
}

// Discovery finds services in DNS; safe for concurrent use.
type Discovery struct {
	cfg    Config
	res    *net.Resolver
	logger *slog.Logger
}

var _ registry.Discovery = (*Discovery)(nil)

// Option tunes New and Open.
type Option func(*options)

type options struct {
	c      Config
	logger *slog.Logger
}

// WithConfig tunes the discovery with c (default DefaultConfig(); zero
// fields take their defaults); New leaves out Server, which only Open
// makes a resolver for.
func WithConfig(c Config) Option { return func(o *options) { o.c = c } }

// WithLogger is where the discovery logs unusable records (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// New returns a discovery that looks names up with res, the caller's
// resolver (net.DefaultResolver, or one of its own with a Dial to its DNS
// server).
func New(res *net.Resolver, opts ...Option) (*Discovery, error) {
	if res == nil {
		return nil, errors.New("dns discovery: New: resolver is nil")
	}
	o := option.Apply(options{logger: slog.Default()}, opts)
	c := o.c
	if len(c.Schemes) == 0 {
		c.Schemes = []string{"http", "grpc"}
	}
	for _, s := range c.Schemes {
		if !validLabel(s) {
			return nil, fmt.Errorf("dns discovery: scheme %q is not a DNS label", s)
		}
	}
	if c.Ports == nil {
		c.Ports = map[string]int{"http": 8080, "grpc": 9090}
	}
	for s, p := range c.Ports {
		if p <= 0 || p > 65535 {
			return nil, fmt.Errorf("dns discovery: ports: %s port %d is out of range", s, p)
		}
	}
	c.Domain = strings.Trim(c.Domain, ".")
	if c.Refresh <= 0 {
		c.Refresh = 5 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Second
	}
	return &Discovery{cfg: c, res: res, logger: o.logger}, nil
}

// Open returns New on a resolver for c.Server (the system's when empty),
// tuned by c.
func Open(c Config, opts ...Option) (*Discovery, error) {
	res := net.DefaultResolver
	if c.Server != "" {
		if _, _, err := net.SplitHostPort(c.Server); err != nil {
			return nil, fmt.Errorf("dns discovery: server %q must be host:port: %w", c.Server, err)
		}
		res = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var nd net.Dialer
			return nd.DialContext(ctx, network, c.Server)
		}}
	}
	return New(res, append([]Option{WithConfig(c)}, opts...)...)
}

func validLabel(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// host is the name looked up for service name.
func (d *Discovery) host(name string) (string, error) {
	for _, l := range strings.Split(name, ".") {
		if !validLabel(l) {
			return "", fmt.Errorf("dns discovery: service %q is not a DNS name", name)
		}
	}
	if d.cfg.Domain == "" {
		return name, nil
	}
	return name + "." + d.cfg.Domain, nil
}

// GetService looks name up. A name DNS does not know has no instances; a
// DNS server that does not answer is an error.
func (d *Discovery) GetService(ctx context.Context, name string) ([]*registry.ServiceInstance, error) {
	host, err := d.host(name)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	byTarget := map[string]*registry.ServiceInstance{}
	for _, scheme := range d.cfg.Schemes {
		_, srvs, err := d.res.LookupSRV(ctx, scheme, "tcp", host)
		if err != nil {
			if notFound(err) {
				continue
			}
			return nil, fmt.Errorf("dns discovery: SRV _%s._tcp.%s: %w", scheme, host, err)
		}
		for _, s := range srvs {
			target := strings.TrimSuffix(s.Target, ".")
			if target == "" || s.Port == 0 {
				d.logger.Warn("dns discovery: ignoring an SRV record without a target or a port", "name", "_"+scheme+"._tcp."+host, "target", s.Target, "port", s.Port)
				continue
			}
			ins := byTarget[target]
			if ins == nil {
				addrs, err := d.res.LookupHost(ctx, target)
				if err != nil || len(addrs) == 0 {
					d.logger.Warn("dns discovery: ignoring an SRV target that does not resolve", "name", "_"+scheme+"._tcp."+host, "target", target, "error", err)
					continue
				}
				id, _, _ := strings.Cut(target, ".")
				ins = &registry.ServiceInstance{ID: id, Name: name, Metadata: map[string]string{"dns_target": target, "address": addrs[0]}}
				byTarget[target] = ins
			}
			ins.Endpoints = append(ins.Endpoints, scheme+"://"+net.JoinHostPort(ins.Metadata["address"], strconv.Itoa(int(s.Port))))
		}
	}
	if len(byTarget) > 0 {
		return sorted(byTarget), nil
	}
	addrs, err := d.res.LookupHost(ctx, host)
	if err != nil {
		if notFound(err) {
			return []*registry.ServiceInstance{}, nil
		}
		return nil, fmt.Errorf("dns discovery: A/AAAA %s: %w", host, err)
	}
	schemes := make([]string, 0, len(d.cfg.Ports))
	for s := range d.cfg.Ports {
		schemes = append(schemes, s)
	}
	slices.Sort(schemes)
	byIP := map[string]*registry.ServiceInstance{}
	for _, a := range addrs {
		ins := &registry.ServiceInstance{ID: a, Name: name}
		for _, s := range schemes {
			ins.Endpoints = append(ins.Endpoints, s+"://"+net.JoinHostPort(a, strconv.Itoa(d.cfg.Ports[s])))
		}
		byIP[a] = ins
	}
	return sorted(byIP), nil
}

func sorted(m map[string]*registry.ServiceInstance) []*registry.ServiceInstance {
	out := make([]*registry.ServiceInstance, 0, len(m))
	for _, ins := range m {
		slices.Sort(ins.Endpoints)
		out = append(out, ins)
	}
	slices.SortFunc(out, func(a, b *registry.ServiceInstance) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// notFound says whether err means the name has no such records.
func notFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// Watch looks name up every Refresh and reports the set when it changed. A
// failed look-up keeps the last set and is logged.
func (d *Discovery) Watch(ctx context.Context, name string) (registry.Watcher, error) {
	set, err := d.GetService(ctx, name)
	if err != nil {
		return nil, err
	}
	w := registry.NewLatest(ctx, set)
	go func() {
		t := time.NewTicker(d.cfg.Refresh)
		defer t.Stop()
		failing := false
		for {
			select {
			case <-w.Context().Done():
				return
			case <-t.C:
			}
			fresh, err := d.GetService(w.Context(), name)
			if err != nil {
				if !failing && w.Context().Err() == nil {
					d.logger.Warn("dns discovery: look-up failed; keeping the last set", "service", name, "error", err)
				}
				failing = true
				continue
			}
			failing = false
			if !reflect.DeepEqual(fresh, set) {
				set = fresh
				w.Publish(fresh)
			}
		}
	}()
	return w, nil
}
