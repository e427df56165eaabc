package governance

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"
)

// Config is a service's governance policy: the adaptive shedder that guards
// the whole process, and rules for chosen operations. It is what the
// `governance:` block of a service's config.yaml holds; Governor.Reload
// applies a changed one while the service runs.
type Config struct {
	// Shedding guards the whole process by its load.
	Shedding Shedding `yaml:"shedding"`
	// TrustedProxies are the addresses (IPs or CIDRs) whose X-Forwarded-For
	// is believed when a rate limit is keyed by client IP. Empty: the peer
	// address is the client.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Rules set limits for the operations they select; an operation takes
	// the first rule that selects it.
	Rules []Rule `yaml:"rules"`
}

// Shedding configures the adaptive shedder: when the process's CPU use
// reaches CPUThreshold, calls beyond the in-flight limit the shedder
// derives from measured throughput × minimum latency are refused with 503
// until the overload passes.
type Shedding struct {
	// Enabled turns the shedder on (default true).
	Enabled bool `yaml:"enabled"`
	// CPUThreshold is the share of the CPU available to the process
	// (cgroup quota and affinity honoured) above which it sheds (default 0.8).
	CPUThreshold float64 `yaml:"cpu_threshold"`
	// LatencyFactor makes calls completing this many times slower than the
	// best the window saw an overload too, whatever the CPU reads: a
	// process starved of CPU by its neighbours, or queueing on what it
	// waits for (default 2; 0: the CPU alone decides).
	LatencyFactor float64 `yaml:"latency_factor"`
	// QueueDelay is how long requests may wait for a CPU — read from the
	// network, not yet running, where no in-flight count sees them — before
	// the shedder admits only a share of calls, cut while the wait stays
	// over it and grown back once under; and, call by call, a call is
	// refused while the CPU time queued in front of it is over an eighth of
	// it (a quarter while the CPU is under CPUThreshold) (default 10ms; 0:
	// not watched).
	QueueDelay time.Duration `yaml:"queue_delay"`
	// Window is how far back throughput and latency are measured (default 5 s).
	Window time.Duration `yaml:"window"`
	// Buckets split the window (default 50).
	Buckets int `yaml:"buckets"`
	// CoolOff keeps shedding on the in-flight test alone for this long
	// after the last shed call, so it does not flap (default 1 s).
	CoolOff time.Duration `yaml:"cool_off"`
	// ShortDeadlines refuses at once a call whose deadline is shorter than
	// its operation's typical latency: nobody will wait for the answer
	// (default true).
	ShortDeadlines bool `yaml:"short_deadlines"`
}

// Rule is the policy of the operations it selects. Operations are named as
// middleware selection names them: "GET /users/:id" for an HTTP route,
// "/user.v1.User/Get" for a gRPC method, the topic for a queue consumer,
// the event type for a listener.
type Rule struct {
	// Exact, Prefix and Regex select operations; a rule needs at least one,
	// and selects an operation any of them matches.
	Exact  []string `yaml:"exact"`
	Prefix []string `yaml:"prefix"`
	Regex  string   `yaml:"regex"`
	// RateLimit limits how often the operations are called; nil: no limit.
	RateLimit *RateLimit `yaml:"rate_limit"`
	// MaxInFlight bounds the calls of one operation running at once
	// (a bulkhead); beyond it, calls are refused with 503 (served) or wait
	// (queue consumers, event listeners). 0: no bound.
	MaxInFlight int `yaml:"max_in_flight"`
	// Timeout bounds each call, when shorter than the deadline it has. 0:
	// the request timeout alone.
	Timeout time.Duration `yaml:"timeout"`
	// Priority is low (shed first), normal (the default) or critical (never
	// shed).
	Priority string `yaml:"priority"`
	// Fallback names a fallback registered with WithFallback, answering for
	// the operation when a call is refused, times out or its dependency's
	// breaker is open.
	Fallback string `yaml:"fallback"`
}

// RateLimit limits the calls of each operation of a rule, per key.
type RateLimit struct {
	Rate `yaml:",inline"`
	// Algorithm is token_bucket (the default: bursts of up to Burst, then
	// Limit per Per) or sliding_window (at most Limit in any Per).
	Algorithm string `yaml:"algorithm"`
	// Key splits the limit: "" (one limit per operation), "ip" (the
	// client's address, see TrustedProxies), "header:<name>" or
	// "metadata:<key>" (an HTTP header or gRPC metadata value; calls without
	// it share one limit), or "subject" (the authenticated caller, see
	// WithSubject).
	Key string `yaml:"key"`
	// Wait is how long a call may wait for its turn before it is refused
	// (default 0: refused at once). Queue consumers and event listeners
	// always wait.
	Wait time.Duration `yaml:"wait"`
	// MaxKeys bounds the keys remembered per rule (default 10000); the
	// least recently seen is forgotten first.
	MaxKeys int `yaml:"max_keys"`
	// Backend is "" or "local" for a limit kept in this process, or the name
	// of a LimiterFactory given to WithLimiters ("redis") for one shared by
	// every replica.
	Backend string `yaml:"backend"`
	// OnError is what a Backend's failure means for a call: allow (the
	// default: the call goes on, logged and counted) or reject (503).
	OnError string `yaml:"on_error"`
}

// DefaultConfig has the shedder on with safe thresholds and no rules.
func DefaultConfig() Config {
	return Config{Shedding: Shedding{Enabled: true, CPUThreshold: 0.8, LatencyFactor: 2, QueueDelay: 10 * time.Millisecond, Window: 5 * time.Second, Buckets: 50,
		CoolOff: time.Second, ShortDeadlines: true}, TrustedProxies: []string{}, Rules: []Rule{}}
}

// Priorities.
const (
	PriorityLow      = "low"
	PriorityNormal   = "normal"
	PriorityCritical = "critical"
)

// Rate-limit algorithms.
const (
	TokenBucket   = "token_bucket"
	SlidingWindow = "sliding_window"
)

// Validate names the key of the first problem: "rules[2].rate_limit.limit
// must be positive, got 0".
func (c Config) Validate() error {
	s := c.Shedding
	if s.Enabled {
		switch {
		case s.CPUThreshold <= 0 || s.CPUThreshold > 1:
			return fmt.Errorf("shedding.cpu_threshold must be in (0, 1], got %g", s.CPUThreshold)
		case s.LatencyFactor != 0 && s.LatencyFactor <= 1:
			return fmt.Errorf("shedding.latency_factor must be above 1 (or 0: CPU alone), got %g", s.LatencyFactor)
		case s.QueueDelay < 0:
			return fmt.Errorf("shedding.queue_delay must not be negative, got %s", s.QueueDelay)
		case s.Window <= 0:
			return fmt.Errorf("shedding.window must be positive, got %s", s.Window)
		case s.Buckets < 2:
			return fmt.Errorf("shedding.buckets must be at least 2, got %d", s.Buckets)
		case s.Window/time.Duration(s.Buckets) < time.Millisecond:
			return fmt.Errorf("shedding.window / shedding.buckets must be at least 1ms, got %s", s.Window/time.Duration(s.Buckets))
		case s.CoolOff < 0:
			return fmt.Errorf("shedding.cool_off must not be negative, got %s", s.CoolOff)
		}
	}
	if _, err := parsePrefixes(c.TrustedProxies); err != nil {
		return err
	}
	for i, r := range c.Rules {
		if err := r.validate(); err != nil {
			return fmt.Errorf("rules[%d].%w", i, err)
		}
	}
	return nil
}

func (r Rule) validate() error {
	if len(r.Exact) == 0 && len(r.Prefix) == 0 && r.Regex == "" {
		return fmt.Errorf("exact, prefix or regex: a rule selects no operation; set one of them")
	}
	for i, e := range r.Exact {
		if e == "" {
			return fmt.Errorf("exact[%d] is empty", i)
		}
	}
	for i, p := range r.Prefix {
		if p == "" {
			return fmt.Errorf("prefix[%d] is empty (a rule for every operation: regex: \".\")", i)
		}
	}
	if r.Regex != "" {
		if _, err := regexp.Compile(r.Regex); err != nil {
			return fmt.Errorf("regex %q: %v", r.Regex, err)
		}
	}
	if r.MaxInFlight < 0 {
		return fmt.Errorf("max_in_flight must not be negative, got %d", r.MaxInFlight)
	}
	if r.Timeout < 0 {
		return fmt.Errorf("timeout must not be negative, got %s", r.Timeout)
	}
	if _, err := shedPriority(r.Priority); err != nil {
		return err
	}
	if r.RateLimit != nil {
		if err := r.RateLimit.validate(); err != nil {
			return fmt.Errorf("rate_limit.%w", err)
		}
	}
	return nil
}

func (l RateLimit) validate() error {
	switch {
	case l.Limit <= 0:
		return fmt.Errorf("limit must be positive, got %d", l.Limit)
	case l.Per < 0:
		return fmt.Errorf("per must be positive, got %s", l.Per)
	case l.Burst < 0:
		return fmt.Errorf("burst must be at least 1 (0: limit), got %d", l.Burst)
	case l.Wait < 0:
		return fmt.Errorf("wait must not be negative, got %s", l.Wait)
	case l.MaxKeys < 0:
		return fmt.Errorf("max_keys must not be negative, got %d", l.MaxKeys)
	}
	switch l.Algorithm {
	case "", TokenBucket, SlidingWindow:
	default:
		return fmt.Errorf("algorithm %q is not one of %s, %s", l.Algorithm, TokenBucket, SlidingWindow)
	}
	switch l.OnError {
	case "", "allow", "reject":
	default:
		return fmt.Errorf("on_error %q is not one of allow, reject", l.OnError)
	}
	if _, err := parseKey(l.Key); err != nil {
		return fmt.Errorf("key %q: %v", l.Key, err)
	}
	return nil
}

// withDefaults fills what a rule's rate limit leaves out.
func (l RateLimit) withDefaults() RateLimit {
	if l.Per == 0 {
		l.Per = time.Second
	}
	if l.Burst == 0 {
		l.Burst = l.Limit
	}
	if l.Algorithm == "" {
		l.Algorithm = TokenBucket
	}
	if l.MaxKeys == 0 {
		l.MaxKeys = 10000
	}
	if l.Backend == "local" {
		l.Backend = ""
	}
	if l.OnError == "" {
		l.OnError = "allow"
	}
	return l
}

// keySource is where a rate limit's key comes from.
type keySource struct {
	kind string // "", "ip", "header", "subject"
	name string // the header or metadata key, lower case
}

func parseKey(s string) (keySource, error) {
	switch s {
	case "":
		return keySource{}, nil
	case "ip", "subject":
		return keySource{kind: s}, nil
	}
	kind, name, ok := strings.Cut(s, ":")
	if ok && (kind == "header" || kind == "metadata") {
		if name == "" {
			return keySource{}, fmt.Errorf("%s: names no key", kind)
		}
		return keySource{kind: "header", name: strings.ToLower(name)}, nil
	}
	return keySource{}, fmt.Errorf("not one of ip, subject, header:<name>, metadata:<key>")
}

func parsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for i, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted_proxies[%d] %q is not an IP or CIDR", i, s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
