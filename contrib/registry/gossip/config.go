package gossip

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/goxkit/gox/internal/option"
	"github.com/goxkit/gox/registry"
)

// Config is the gossip registry's configuration; zero values take the
// defaults documented on each field (go-doudou's GDD_MEM_* settings in
// brackets). Seeds and RequireSeed tune the registry, whichever way it got
// its memberlist config (WithConfig); the rest is Open's, to derive that
// config from.
type Config struct {
	// Seeds are members to join, as host:port [GDD_MEM_SEED]. Empty: this
	// node starts a new cluster.
	Seeds []string `yaml:"seeds"`
	// Name is this member's name, unique in the cluster [GDD_MEM_NAME].
	// Default: the hostname and the port.
	Name string `yaml:"name"`
	// BindAddr is the address gossip listens on (default 0.0.0.0).
	BindAddr string `yaml:"bind_addr"`
	// Port is the gossip port, UDP and TCP [GDD_MEM_PORT] (default 7946;
	// -1: a free port, for tests and laptops).
	Port int `yaml:"port"`
	// AdvertiseHost is the address the others reach this member at
	// [GDD_MEM_HOST]: an IP or a name that resolves. A value starting with a
	// dot is a suffix to the hostname, the form a StatefulSet behind a
	// headless service needs: ".seed-svc-headless.default.svc.cluster.local"
	// on pod seed-2 advertises seed-2.seed-svc-headless.default.svc.cluster.local.
	// Default: the bind address, or this host's first private IP.
	AdvertiseHost string `yaml:"advertise_host"`
	// AdvertisePort is the port the others reach this member at (default: Port).
	AdvertisePort int `yaml:"advertise_port"`
	// DeadTimeout bounds how long a member that stopped answering stays in
	// the others' view [GDD_MEM_DEAD_TIMEOUT] (default 10 s). The probe
	// interval and the suspicion timeout are derived from it, for clusters
	// of up to 10 members; larger ones take up to log10(n) times longer.
	DeadTimeout time.Duration `yaml:"dead_timeout"`
	// SyncInterval is how often a member syncs its whole state with a
	// random other member [GDD_MEM_SYNC_INTERVAL] (default 5 s).
	SyncInterval time.Duration `yaml:"sync_interval"`
	// ReclaimTimeout is how long after a member died its name may be taken by
	// a member at another address — a restarted pod with a new IP
	// [GDD_MEM_RECLAIM_TIMEOUT] (default 3 s).
	ReclaimTimeout time.Duration `yaml:"reclaim_timeout"`
	// SecretKey, when set, encrypts gossip: base64 of 16, 24 or 32 bytes,
	// the same on every member.
	SecretKey string `yaml:"secret_key"`
	// RequireSeed makes New fail when no seed can be joined. Otherwise the
	// node starts as a cluster of one, says so in the log, and keeps trying
	// to join the seeds in the background.
	RequireSeed bool `yaml:"require_seed"`
}

// DefaultConfig is the configuration whose zero values New fills in, spelt
// out: a member on port 7946 of all interfaces that starts a new cluster.
func DefaultConfig() Config {
	return Config{Seeds: []string{}, BindAddr: "0.0.0.0", Port: 7946, DeadTimeout: 10 * time.Second,
		SyncInterval: 5 * time.Second, ReclaimTimeout: 3 * time.Second}
}

// Option tunes New and Open.
type Option func(*options)

type options struct {
	seeds       []string
	requireSeed bool
	logger      *slog.Logger
}

// WithConfig tunes the registry with c's Seeds and RequireSeed; New leaves
// out the fields that only Open derives a memberlist config from.
func WithConfig(c Config) Option {
	return func(o *options) { o.seeds, o.requireSeed = c.Seeds, c.RequireSeed }
}

// WithLogger is where the registry logs (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// New starts a member with mc, the caller's memberlist config (ports,
// timeouts, keys, transport are the caller's), and joins the seeds of
// WithConfig. A memberlist cannot be made first and handed over, as the
// vendor clients of the other registries are: the registry is the member's
// Delegate and Events, so New sets those two fields of mc (and a quiet
// Logger when mc has none) and creates the member; Close shuts it down.
func New(mc *memberlist.Config, opts ...Option) (*Registry, error) {
	if mc == nil {
		return nil, errors.New("gossip: New: memberlist config is nil")
	}
	o := option.Apply(options{logger: slog.Default()}, opts)
	for _, s := range o.seeds {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return nil, fmt.Errorf("gossip: seed %q must be host:port: %w", s, err)
		}
	}
	r := &Registry{cfg: Config{Seeds: o.seeds, RequireSeed: o.requireSeed}, logger: o.logger, view: registry.NewMemory(), nodes: map[string]nodeState{},
		meta: []byte("[]"), stop: make(chan struct{}), done: make(chan struct{})}
	mc.Delegate, mc.Events = (*delegate)(r), (*events)(r)
	if mc.Logger == nil && mc.LogOutput == nil {
		mc.Logger = log.New(io.Discard, "", 0)
	}
	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("gossip: start member %s on %s:%d: %w", mc.Name, mc.BindAddr, mc.BindPort, err)
	}
	r.ml = ml
	joined := len(o.seeds) == 0 || r.join() == nil
	if !joined && o.requireSeed {
		_ = ml.Shutdown()
		return nil, fmt.Errorf("gossip: member %s could not join any seed of %v (require_seed is set)", mc.Name, o.seeds)
	}
	if len(o.seeds) == 0 {
		r.logger.Info("gossip: no seeds: this member starts a new cluster", "member", mc.Name, "addr", r.Addr())
	}
	go r.rejoin(!joined)
	return r, nil
}

// Open derives a memberlist config from c and returns New on it, tuned by c.
func Open(c Config, opts ...Option) (*Registry, error) {
	o := option.Apply(options{logger: slog.Default()}, opts)
	mc, err := c.memberlist(o.logger)
	if err != nil {
		return nil, err
	}
	return New(mc, append([]Option{WithConfig(c)}, opts...)...)
}

// memberlist checks c, fills its defaults, and derives memberlist's config;
// logger gets memberlist's own log at debug level.
func (c *Config) memberlist(logger *slog.Logger) (*memberlist.Config, error) {
	if c.DeadTimeout <= 0 {
		c.DeadTimeout = 10 * time.Second
	}
	if c.SyncInterval <= 0 {
		c.SyncInterval = 5 * time.Second
	}
	if c.ReclaimTimeout <= 0 {
		c.ReclaimTimeout = 3 * time.Second
	}
	if c.BindAddr == "" {
		c.BindAddr = "0.0.0.0"
	}
	switch {
	case c.Port == 0:
		c.Port = 7946
	case c.Port < 0:
		p, err := freePort(c.BindAddr)
		if err != nil {
			return nil, fmt.Errorf("gossip: finding a free port on %s: %w", c.BindAddr, err)
		}
		c.Port = p
	}
	mc := memberlist.DefaultLANConfig()
	host, _ := os.Hostname()
	mc.Name = c.Name
	if mc.Name == "" {
		mc.Name = host + ":" + strconv.Itoa(c.Port)
	}
	mc.BindAddr, mc.BindPort = c.BindAddr, c.Port
	adv, err := advertise(c.AdvertiseHost, host, c.BindAddr)
	if err != nil {
		return nil, err
	}
	mc.AdvertiseAddr = adv
	mc.AdvertisePort = c.Port
	if c.AdvertisePort > 0 {
		mc.AdvertisePort = c.AdvertisePort
	}
	// time to drop a silent member: up to two probe intervals until one of
	// the others probes it and fails (direct, then indirect), then the
	// suspicion timeout — SuspicionMult × ProbeInterval below 10 members,
	// fixed by SuspicionMaxTimeoutMult = 1 — then the gossip of its death:
	// 2 + 4 intervals of 8, a quarter of DeadTimeout left for the news.
	mc.ProbeInterval = max(c.DeadTimeout/8, 50*time.Millisecond)
	mc.ProbeTimeout = mc.ProbeInterval / 2
	mc.SuspicionMult = 4
	mc.SuspicionMaxTimeoutMult = 1
	mc.GossipInterval = min(mc.GossipInterval, mc.ProbeInterval/2)
	mc.GossipToTheDeadTime = c.DeadTimeout
	mc.PushPullInterval = c.SyncInterval
	mc.DeadNodeReclaimTime = c.ReclaimTimeout
	if c.SecretKey != "" {
		key, err := base64.StdEncoding.DecodeString(c.SecretKey)
		if err == nil {
			err = memberlist.ValidateKey(key)
		}
		if err != nil {
			return nil, fmt.Errorf("gossip: secret_key must be base64 of 16, 24 or 32 bytes: %w", err)
		}
		mc.SecretKey = key
	}
	mc.Logger = log.New(io.Discard, "", 0)
	if logger.Enabled(context.Background(), slog.LevelDebug) {
		mc.Logger = slog.NewLogLogger(logger.Handler(), slog.LevelDebug)
	}
	return mc, nil
}

// advertise resolves the address to advertise: memberlist needs an IP.
func advertise(h, hostname, bind string) (string, error) {
	switch {
	case h == "" && bind != "0.0.0.0" && bind != "::":
		return bind, nil
	case h == "":
		return "", nil // memberlist picks this host's private IP
	case strings.HasPrefix(h, "."):
		h = hostname + h
	}
	if ip := net.ParseIP(h); ip != nil {
		return h, nil
	}
	ips, err := lookupIP(h)
	if err != nil || len(ips) == 0 {
		return "", fmt.Errorf("gossip: advertise host %q does not resolve: %v", h, err)
	}
	return ips[0].String(), nil
}

// lookupIP is net.LookupIP; tests resolve names of their own.
var lookupIP = net.LookupIP

func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
