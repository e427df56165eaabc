// Package ui is the resilience page of a service's management routes: the
// governance policy and how it is doing, and the circuit breakers of the
// services this process calls, as an HTML page and as the same data in
// JSON. It shows, when asked:
//
//   - every governance rule with its live state: what it selects, its rate
//     limit, the keys it remembers and the tokens left (where known), its
//     bulkhead, timeout, priority and fallback;
//   - the adaptive shedder: on or off, CPU use against its threshold, calls
//     in flight against the limit, whether it sheds now and how many calls
//     it refused;
//   - every operation called so far: its calls by outcome, the calls in its
//     bulkhead and its typical latency;
//   - per service called, each instance's address, its breaker's window
//     (requests, accepts, drop probability) and whether it is ejected.
//
// The page only reads: it changes no limit and resets no breaker. It has no
// script and loads nothing from elsewhere; every value is escaped.
//
// Mount it behind basic auth, as the scaffold mounts the registry page:
//
//	page := ui.Handler(ui.Options{State: gov.State, Breakers: ui.BreakersOf(selectors), Title: "users · resilience"})
//	srv.Engine().Any("/resilience/*any", gin.BasicAuth(gin.Accounts{user: pass}), gin.WrapH(http.StripPrefix("/resilience", page)))
//
// GET /resilience/ is the page (GET /resilience/?refresh=5 reloads itself
// every 5 s); GET /resilience/state.json (or any path with ?format=json,
// or Accept: application/json) is the JSON.
//
// The package owns the page, not the state: middleware/governance keeps the
// policy's counts and selector keeps the breakers.
package ui

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/goxkit/gox/internal/statuspage"
	"github.com/goxkit/gox/middleware/governance"
	"github.com/goxkit/gox/selector"
)

// Options configure the handler.
type Options struct {
	// State returns the governor's snapshot (governance.Governor.State);
	// required.
	State func() governance.State
	// Breakers returns the breakers of the services this process calls
	// (see BreakersOf). Optional: without it the page has no breaker
	// section.
	Breakers func() []ServiceBreakers
	// Title heads the page (default "Resilience").
	Title string
}

// ServiceBreakers are the instances of one service this process calls and
// the health its selector keeps of each.
type ServiceBreakers struct {
	Service   string               `json:"service"`
	Instances []selector.NodeState `json:"instances"`
}

// BreakersOf returns a Breakers func reading the selectors selectors
// returns (one per service called), sorted by service.
func BreakersOf(selectors func() []*selector.Selector) func() []ServiceBreakers {
	return func() []ServiceBreakers {
		sels := selectors()
		out := make([]ServiceBreakers, 0, len(sels))
		for _, s := range sels {
			if s != nil {
				out = append(out, ServiceBreakers{Service: s.Service(), Instances: s.State()})
			}
		}
		slices.SortStableFunc(out, func(a, b ServiceBreakers) int { return cmp.Compare(a.Service, b.Service) })
		return out
	}
}

// Snapshot is what the page shows, and the JSON: the governor's state with
// the breakers beside it.
type Snapshot struct {
	Title     string    `json:"-"`
	Refresh   int       `json:"-"`
	Generated time.Time `json:"generated"`
	governance.State
	// Breakers is nil when Options.Breakers is.
	Breakers []ServiceBreakers `json:"breakers,omitempty"`
}

// Handler serves the page and the JSON. It panics when o.State is nil.
func Handler(o Options) http.Handler {
	if o.State == nil {
		panic("governance/ui: Options.State is required")
	}
	if o.Title == "" {
		o.Title = "Resilience"
	}
	return statuspage.Handler(func(*http.Request) Snapshot { return o.snapshot() }, page, func(r *http.Request, snap Snapshot) any {
		snap.Refresh = refresh(r.URL.Query().Get("refresh"))
		return newView(snap)
	})
}

func (o Options) snapshot() Snapshot {
	s := Snapshot{Title: o.Title, Generated: time.Now().UTC().Truncate(time.Second), State: o.State()}
	if s.Rules == nil {
		s.Rules = []governance.RuleState{}
	}
	if s.Operations == nil {
		s.Operations = []governance.OperationState{}
	}
	if o.Breakers != nil {
		s.Breakers = o.Breakers()
		if s.Breakers == nil {
			s.Breakers = []ServiceBreakers{}
		}
	}
	return s
}

// refresh reads ?refresh=N: seconds between reloads, 0 (none) unless
// 1 ≤ N ≤ 3600.
func refresh(q string) int {
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || n > 3600 {
		return 0
	}
	return n
}
