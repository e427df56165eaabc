package prometheus

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/goxkit/gox/metrics"
	"github.com/goxkit/gox/middleware/governance"
)

// WatchGovernance exposes a governance.Governor's state, read at each
// scrape: calls by outcome per operation (metrics.GovernanceCallsTotal),
// the shedder's CPU, in-flight calls, limit and whether it sheds, and the
// keys each local rate limit remembers.
//
//	m.WatchGovernance(gov.State)
func (m *Metrics) WatchGovernance(state func() governance.State) error {
	return m.reg.Register(&governanceCollector{state: state, constLabels: m.constLabels})
}

type governanceCollector struct {
	state       func() governance.State
	constLabels prometheus.Labels
}

func (c *governanceCollector) desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, c.constLabels)
}

func (c *governanceCollector) descs() (calls, cpu, inFlight, limit, shedding, keys *prometheus.Desc) {
	return c.desc(metrics.GovernanceCallsTotal, "Calls governance saw, by what became of them.", metrics.LabelKind, metrics.LabelOperation, metrics.LabelOutcome),
		c.desc(metrics.GovernanceCPU, "CPU use as the shedder sees it, a share of the CPU the process may use."),
		c.desc(metrics.GovernanceInFlight, "Calls the shedder counts in flight."),
		c.desc(metrics.GovernanceInFlightLimit, "Calls that may be in flight while shedding (0 until measured)."),
		c.desc(metrics.GovernanceShedding, "1 while the shedder refuses calls."),
		c.desc(metrics.GovernanceRateLimitKeys, "Keys a local rate limit remembers.", metrics.LabelRule)
}

func (c *governanceCollector) Describe(ch chan<- *prometheus.Desc) {
	calls, cpu, inFlight, limit, shedding, keys := c.descs()
	for _, d := range []*prometheus.Desc{calls, cpu, inFlight, limit, shedding, keys} {
		ch <- d
	}
}

func (c *governanceCollector) Collect(ch chan<- prometheus.Metric) {
	calls, cpu, inFlight, limit, shedding, keys := c.descs()
	s := c.state()
	for _, op := range s.Operations {
		for outcome, n := range op.Counts {
			ch <- prometheus.MustNewConstMetric(calls, prometheus.CounterValue, float64(n), op.Kind, op.Operation, outcome)
		}
	}
	if sh := s.Shedding; sh != nil {
		ch <- prometheus.MustNewConstMetric(cpu, prometheus.GaugeValue, sh.CPU)
		ch <- prometheus.MustNewConstMetric(inFlight, prometheus.GaugeValue, float64(sh.InFlight))
		ch <- prometheus.MustNewConstMetric(limit, prometheus.GaugeValue, float64(sh.Limit))
		on := 0.0
		if sh.Shedding {
			on = 1
		}
		ch <- prometheus.MustNewConstMetric(shedding, prometheus.GaugeValue, on)
	}
	for i, r := range s.Rules {
		if r.RateLimit != "" && r.Keys > 0 {
			ch <- prometheus.MustNewConstMetric(keys, prometheus.GaugeValue, float64(r.Keys), strconv.Itoa(i))
		}
	}
}
