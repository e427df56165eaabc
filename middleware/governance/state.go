package governance

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// State is a snapshot of a Governor: the policy and how it is doing, for
// metrics and the resilience page.
type State struct {
	// Shedding is the shedder's view; nil while shedding is off.
	Shedding *ShedState `json:"shedding,omitempty"`
	// Rules are the policy's rules, in order.
	Rules []RuleState `json:"rules"`
	// Operations are the operations called so far, by name.
	Operations []OperationState `json:"operations"`
}

// ShedState is the shedder's view of the process.
type ShedState struct {
	// CPU is the process's CPU use, a share of what it may use.
	CPU float64 `json:"cpu"`
	// CPUThreshold is the share above which it sheds.
	CPUThreshold float64 `json:"cpu_threshold"`
	// InFlight is the calls running now; Limit is how many may run while
	// shedding (0 until measured).
	InFlight int64 `json:"in_flight"`
	Limit    int64 `json:"limit"`
	// MinLatency is the smallest average latency of a bucket of the
	// window; RecentLatency the average of the last one.
	MinLatency    time.Duration `json:"min_latency_ns"`
	RecentLatency time.Duration `json:"recent_latency_ns"`
	// QueueDelay is how long requests wait for a CPU now; Admitted the
	// share of calls admitted for it (1: all).
	QueueDelay time.Duration `json:"queue_delay_ns"`
	Admitted   float64       `json:"admitted"`
	// Backlog is the CPU time queued in front of the latest call; over an
	// eighth of the queue delay's target calls are refused at once.
	Backlog time.Duration `json:"backlog_ns"`
	// Shedding is true while calls are being refused.
	Shedding bool `json:"shedding"`
	// Shed counts the calls refused since start.
	Shed uint64 `json:"shed"`
}

// RuleState is one rule and its live state.
type RuleState struct {
	// Selects describes the operations the rule selects.
	Selects string `json:"selects"`
	// RateLimit describes the limit ("100 per 1s, burst 20, token_bucket,
	// by ip"), "" for none; Keys is how many keys it remembers (local limits).
	RateLimit string `json:"rate_limit,omitempty"`
	Keys      int    `json:"keys,omitempty"`
	// Tokens is what is left of the limit for calls without a key (a limit
	// not split by key), -1 when unknown.
	Tokens      float64       `json:"tokens"`
	MaxInFlight int           `json:"max_in_flight,omitempty"`
	Timeout     time.Duration `json:"timeout_ns,omitempty"`
	Priority    string        `json:"priority"`
	Fallback    string        `json:"fallback,omitempty"`
}

// OperationState is what happened to one operation's calls.
type OperationState struct {
	Kind      string `json:"kind"`
	Operation string `json:"operation"`
	// Rule is the index of the rule that selects it, -1 for none.
	Rule int `json:"rule"`
	// InFlight is the calls in its bulkhead now (when its rule has one).
	InFlight int `json:"in_flight"`
	// Typical is its typical latency (0 until known).
	Typical time.Duration `json:"typical_ns"`
	// Counts are its calls by outcome: admitted, rate_limited,
	// concurrency_limited, shed, deadline_too_short, limiter_error,
	// fallback.
	Counts map[string]uint64 `json:"counts"`
}

// Outcomes lists the outcomes OperationState.Counts may hold.
func Outcomes() []string { return slices.Clone(outcomeNames[:]) }

// State returns a snapshot of g.
func (g *Governor) State() State {
	p := g.policy.Load()
	now := g.now()
	var s State
	if p.shed != nil {
		st := p.shed.Stats()
		s.Shedding = &ShedState{CPU: st.CPU, CPUThreshold: p.cfg.Shedding.CPUThreshold, InFlight: st.InFlight, Limit: st.Limit,
			MinLatency: st.MinRT, RecentLatency: st.RecentRT, QueueDelay: st.QueueDelay, Admitted: st.Admitted, Backlog: st.Backlog, Shedding: st.Shedding, Shed: st.Shed}
	}
	s.Rules = make([]RuleState, 0, len(p.rules))
	for _, r := range p.rules {
		s.Rules = append(s.Rules, r.state())
	}
	g.ops.m.Range(func(_, v any) bool {
		s.Operations = append(s.Operations, p.opState(v.(*opStats), now))
		return true
	})
	if g.ops.other.counts[outAdmitted].Load() > 0 {
		o := p.opState(&g.ops.other, now)
		o.Operation = "(other)"
		s.Operations = append(s.Operations, o)
	}
	slices.SortFunc(s.Operations, func(a, b OperationState) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Operation, b.Operation))
	})
	return s
}

func (p *policy) opState(st *opStats, now time.Time) OperationState {
	o := OperationState{Kind: string(st.kind), Operation: st.operation, Rule: -1, Typical: st.typical(now), Counts: map[string]uint64{}}
	for i, n := range outcomeNames {
		o.Counts[n] = st.counts[i].Load()
	}
	if r := p.ruleFor(st.operation); r != nil {
		o.Rule = slices.Index(p.rules, r)
		if v, ok := r.sems.Load(st.operation); ok {
			o.InFlight = len(v.(chan struct{}))
		}
	}
	return o
}

func (r *rule) state() RuleState {
	var sel []string
	if len(r.cfg.Exact) > 0 {
		sel = append(sel, "exact "+strings.Join(r.cfg.Exact, ", "))
	}
	if len(r.cfg.Prefix) > 0 {
		sel = append(sel, "prefix "+strings.Join(r.cfg.Prefix, ", "))
	}
	if r.cfg.Regex != "" {
		sel = append(sel, "regex "+r.cfg.Regex)
	}
	rs := RuleState{Selects: strings.Join(sel, "; "), Tokens: -1, MaxInFlight: r.cfg.MaxInFlight, Timeout: r.cfg.Timeout,
		Priority: r.priority.String(), Fallback: r.cfg.Fallback}
	if r.limiter != nil {
		l := r.limit
		rs.RateLimit = describeLimit(l)
		if local, ok := r.limiter.(localLimiter); ok {
			rs.Keys = local.Len()
			if l.Key == "" && len(r.cfg.Exact) == 1 {
				if t, ok := local.Tokens(r.cfg.Exact[0]); ok {
					rs.Tokens = t
				}
			}
		}
	}
	return rs
}

// localLimiter is what gox's own limiters tell a status page.
type localLimiter interface {
	Len() int
	Tokens(key string) (float64, bool)
}

func describeLimit(l RateLimit) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d per %s, burst %d, %s", l.Limit, l.Per, l.Burst, l.Algorithm)
	if l.Key != "" {
		b.WriteString(", by " + l.Key)
	}
	if l.Wait > 0 {
		b.WriteString(", waits up to " + l.Wait.String())
	}
	if l.Backend != "" {
		b.WriteString(", shared through " + l.Backend + " (on error: " + l.OnError + ")")
	}
	return b.String()
}
