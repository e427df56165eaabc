package selector

import "time"

// NodeState is what a selector knows of one node's health: its breaker's
// window and whether it is ejected. It is read for status pages.
type NodeState struct {
	// Address is where calls go; Instance is the instance's ID.
	Address  string `json:"address"`
	Instance string `json:"instance"`
	// Guarded is false when the selector's InstanceHealth is disabled: no
	// breaker counts the calls and nothing is ejected.
	Guarded bool `json:"guarded"`
	// Requests and Accepts are the calls the breaker counted over its
	// window and those the instance accepted; Drop is the probability with
	// which the breaker rejected a call the last time one was asked for.
	Requests int64   `json:"requests"`
	Accepts  int64   `json:"accepts"`
	Drop     float64 `json:"drop"`
	// Ejected is true while the instance gets no calls; EjectedUntil says
	// until when.
	Ejected      bool      `json:"ejected"`
	EjectedUntil time.Time `json:"ejected_until,omitzero"`
}

// State returns the health of the current nodes, in the order of Nodes.
// It only reads: no breaker is asked to allow a call.
func (s *Selector) State() []NodeState {
	nodes := *s.nodes.Load()
	out := make([]NodeState, 0, len(nodes))
	now := time.Now()
	if s.guard != nil {
		now = s.guard.now()
	}
	for _, n := range nodes {
		ns := NodeState{Address: n.Address}
		if n.Instance != nil {
			ns.Instance = n.Instance.ID
		}
		if h := n.health; h != nil && s.guard != nil {
			ns.Guarded = true
			ns.Requests, ns.Accepts, ns.Drop = h.breaker.Stats()
			if until := h.ejectedUntil.Load(); until > now.UnixNano() {
				ns.Ejected, ns.EjectedUntil = true, time.Unix(0, until)
			}
		}
		out = append(out, ns)
	}
	return out
}
