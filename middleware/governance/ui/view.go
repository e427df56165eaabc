package ui

import (
	_ "embed"
	"fmt"
	"html/template"
	"strconv"
	"time"

	"github.com/goxkit/gox/middleware/governance"
	"github.com/goxkit/gox/selector"
)

// view is a Snapshot as the page words it.
type view struct {
	Snapshot
	Outcomes  []string
	OpColumns int // of the operations table
	Ops       []opRow
	// HasBreakers is true when the handler was given Breakers, even if
	// they list no service.
	HasBreakers bool
	Services    []serviceRows
}

type opRow struct {
	governance.OperationState
	RuleLabel string // "#1" or "none"
	Bulkhead  string // "2 / 8", or "" without a bulkhead
}

type serviceRows struct {
	Service string
	Nodes   []nodeRow
}

type nodeRow struct {
	selector.NodeState
	Status string // ejected, throttling, healthy, unguarded
}

func newView(s Snapshot) view {
	v := view{Snapshot: s, Outcomes: governance.Outcomes(), HasBreakers: s.Breakers != nil}
	v.OpColumns = 5 + len(v.Outcomes)
	for _, o := range s.Operations {
		row := opRow{OperationState: o, RuleLabel: "none"}
		if o.Rule >= 0 && o.Rule < len(s.Rules) {
			row.RuleLabel = "#" + strconv.Itoa(o.Rule+1)
			if m := s.Rules[o.Rule].MaxInFlight; m > 0 {
				row.Bulkhead = fmt.Sprintf("%d / %d", o.InFlight, m)
			}
		}
		v.Ops = append(v.Ops, row)
	}
	for _, sb := range s.Breakers {
		rows := serviceRows{Service: sb.Service}
		for _, n := range sb.Instances {
			rows.Nodes = append(rows.Nodes, nodeRow{NodeState: n, Status: status(n)})
		}
		v.Services = append(v.Services, rows)
	}
	return v
}

func status(n selector.NodeState) string {
	switch {
	case !n.Guarded:
		return "unguarded"
	case n.Ejected:
		return "ejected"
	case n.Drop > 0:
		return "throttling"
	default:
		return "healthy"
	}
}

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("resilience").Funcs(template.FuncMap{
	"pct": func(f float64) string { return strconv.FormatFloat(100*f, 'f', 0, 64) + "%" },
	"dur": dur,
	"tokens": func(f float64) string {
		if f < 0 {
			return "—"
		}
		return strconv.FormatFloat(f, 'f', 1, 64)
	},
	"add1":  func(i int) int { return i + 1 },
	"count": func(m map[string]uint64, k string) uint64 { return m[k] },
}).Parse(pageHTML))

// dur words d to four figures or so: "56ns", "12.345µs", "1.235ms", "2s";
// "—" for none.
func dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(time.Microsecond).String()
	default:
		return d.String()
	}
}
