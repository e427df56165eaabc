package dbbroker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/goxkit/gox/metrics"
)

// Collector exports the broker's backlog to Prometheus, for dashboards and
// for an autoscaler (a KEDA prometheus trigger) to scale consumers on:
//
//   - gox_queue_backlog{topic, group}: Backlog.Ready, the messages the
//     group could claim now;
//   - gox_queue_dead_letters{topic, group}: Backlog.DeadLetters;
//   - gox_queue_backlog_overflow: the pairs the last count left out, over
//     backlog_series.
//
// It counts with Broker.Backlog, at once and then every backlog_interval,
// in a goroutine of its own that Broker.Close stops; a scrape reads the
// last count and never queries the database, so the load on the database
// is one statement per interval and per process exporting it, whatever
// scrapes it. Any process with the broker open can export it: the
// always-on serve does, so the backlog is known while every consumer is
// scaled to zero.
//
// A count that fails keeps the previous one exported and is logged once,
// and its recovery once; a backlog over backlog_series is logged once.
type Collector struct {
	b                        *Broker
	backlog, dead, overflown *prometheus.Desc
	done                     chan struct{} // closed when the sampling stopped

	mu       sync.Mutex
	pairs    []Backlog
	overflow int
	failing  bool // the last count failed
	warned   bool // the overflow was logged
}

var _ prometheus.Collector = (*Collector)(nil)

// Collector returns the broker's Collector, starting its sampling on the
// first call; register it once:
//
//	metrics.Registry().MustRegister(b.Collector()) // metrics: contrib/prometheus
//
// To add the service's constant labels, register it through
// prometheus.WrapRegistererWith.
func (b *Broker) Collector() *Collector {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.collector != nil {
		return b.collector
	}
	c := &Collector{b: b, done: make(chan struct{}),
		backlog: prometheus.NewDesc(metrics.QueueBacklog,
			"Messages of the topic ready for the consumer group now: due, and not held by a live reservation.", metrics.QueueLabels(), nil),
		dead: prometheus.NewDesc(metrics.QueueDeadLetters,
			"Dead letters of the topic for the consumer group.", metrics.QueueLabels(), nil),
		overflown: prometheus.NewDesc(metrics.QueueBacklogOverflow,
			"Topic and group pairs the last backlog count left out, over backlog_series.", nil, nil),
	}
	b.collector = c
	select {
	case <-b.closed:
		close(c.done)
		return c
	default:
	}
	ticks, stop := b.tick(b.c.BacklogInterval)
	go c.run(ticks, stop)
	return c
}

func (c *Collector) run(ticks <-chan time.Time, stop func()) {
	defer close(c.done)
	defer stop()
	for {
		_ = c.Sample(c.b.ctx) // logged there
		select {
		case <-c.b.closed:
			return
		case <-ticks:
		}
	}
}

// Sample counts the backlog now and exports the count; the Collector calls
// it every backlog_interval. An error (logged once while it lasts) leaves
// the previous count exported.
func (c *Collector) Sample(ctx context.Context) error {
	pairs, overflow, err := c.b.Backlog(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if !c.failing && c.b.ctx.Err() == nil { // not the broker closing
			c.b.log.Warn("dbbroker: counting the backlog failed; exporting the last count until it succeeds", slog.Any("error", err))
		}
		c.failing = true
		return err
	}
	if c.failing {
		c.b.log.Info("dbbroker: counting the backlog works again")
		c.failing = false
	}
	if overflow > 0 && !c.warned {
		c.warned = true
		c.b.log.Warn("dbbroker: more topic and group pairs than backlog_series; the rest are left out of gox_queue_backlog and counted in gox_queue_backlog_overflow",
			slog.Int("backlog_series", c.b.c.BacklogSeries), slog.Int("left_out", overflow))
	}
	c.pairs, c.overflow = pairs, overflow
	return nil
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.backlog
	ch <- c.dead
	ch <- c.overflown
}

// Collect implements prometheus.Collector with the last count. A pair whose
// topic or group is not valid UTF-8 (a row written by hand) is left out:
// Prometheus cannot carry it as a label.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	pairs, overflow := c.pairs, c.overflow // replaced, never modified, by Sample
	c.mu.Unlock()
	for _, p := range pairs {
		ready, err1 := prometheus.NewConstMetric(c.backlog, prometheus.GaugeValue, float64(p.Ready), p.Topic, p.Group)
		dead, err2 := prometheus.NewConstMetric(c.dead, prometheus.GaugeValue, float64(p.DeadLetters), p.Topic, p.Group)
		if err1 == nil && err2 == nil {
			ch <- ready
			ch <- dead
		}
	}
	ch <- prometheus.MustNewConstMetric(c.overflown, prometheus.GaugeValue, float64(overflow))
}
