package deploy

import (
	"regexp"
	"strings"
	"time"
)

// The routes the probes call, served on the HTTP port by every gox service.
const (
	LivenessPath  = "/healthz"
	ReadinessPath = "/readyz"
)

// ChartVersion is the version of the chart gctl deploy writes.
const ChartVersion = "0.1.0"

// DrainMargin is what the grace period keeps beyond gox's own drain: the
// time to close resources (databases, brokers, exporters) after servers
// stopped.
const DrainMargin = 5 * time.Second

// PreStopSleep is the preStop sleep when app.stop_delay is 0: the kubelet
// waits this long before sending SIGTERM, so that endpoints, kube-proxy and
// meshes stop sending new connections before gox closes its listeners.
const PreStopSleep = 5 * time.Second

// Drain is the pod's shutdown timing, derived from gox's: on SIGTERM gox
// turns readiness off, deregisters, waits app.stop_delay, stops its
// listeners and drains in-flight work within app.stop_timeout, then
// closes resources.
type Drain struct {
	PreStopSleep time.Duration // the preStop hook's sleep (0 when StopDelay covers it)
	StopDelay    time.Duration // app.stop_delay
	StopTimeout  time.Duration // app.stop_timeout
	// Grace is terminationGracePeriodSeconds: PreStopSleep + StopDelay +
	// StopTimeout + DrainMargin, rounded up to a second.
	Grace time.Duration
}

// Drain returns p's shutdown timing.
func (p *Project) Drain() Drain {
	d := Drain{StopDelay: p.Config.StopDelay, StopTimeout: p.Config.StopTimeout}
	if d.StopDelay == 0 {
		d.PreStopSleep = PreStopSleep
	}
	d.Grace = (d.PreStopSleep + d.StopDelay + d.StopTimeout + DrainMargin + time.Second - 1).Truncate(time.Second)
	return d
}

// Consumer is a consumer workload of the chart: a Deployment (or, with
// SQLite, a container of the serve pod) running the binary with Args.
type Consumer struct {
	Name   string        // the values key and the workload's name suffix
	Args   []string      // the command: queue <job> or event listen
	Queues []JobConsumer // what it consumes: KEDA's triggers
}

// Consumers are p's consumer workloads: one per job of internal/job
// (`queue <job>`), and one running `event listen` (named "events"), when
// the queue is out of process (any driver but memory, whose consumers run
// inside serve).
func (p *Project) Consumers() []Consumer {
	if p.Config.QueueDriver == "" || p.Config.QueueDriver == "memory" {
		return nil
	}
	var out []Consumer
	for _, j := range p.Jobs {
		if j.Name == "events" {
			continue // the name of event listen's workload
		}
		out = append(out, Consumer{Name: j.Name, Args: []string{"queue", j.Name}, Queues: j.Consumers})
	}
	return append(out, Consumer{Name: "events", Args: []string{"event", "listen"},
		Queues: []JobConsumer{{Topic: p.Config.EventTopic, Group: p.Config.EventGroup}}})
}

// KEDATrigger is the KEDA scaler matching the queue driver: kafka,
// rabbitmq, nats-jetstream, or prometheus (on gox_queue_backlog) for the
// database queue; "" when there is nothing to scale on.
func (p *Project) KEDATrigger() string {
	switch p.Config.QueueDriver {
	case "kafka", "rabbitmq":
		return p.Config.QueueDriver
	case "nats":
		return "nats-jetstream"
	case "database":
		return "prometheus"
	}
	return ""
}

// Colocated reports whether the consumers and db migrate run in the serve
// pod: a SQLite database is a file in that pod's data volume.
func (p *Project) Colocated() bool { return p.Config.DBDriver == "sqlite" }

// Gossip reports whether serve is a StatefulSet behind a headless Service:
// the gossip registry needs stable member names and a seed to join.
func (p *Project) Gossip() bool { return p.Config.RegistryDriver == "gossip" }

// MigrateJob reports whether the chart migrates the database by default:
// a hook Job before install and upgrade for a database server, serve's
// initContainer for SQLite unless migrations.on_start already migrates.
func (p *Project) MigrateJob() bool {
	if p.Config.DBDriver == "" {
		return false
	}
	return !p.Colocated() || !p.Config.MigrationsOnStart
}

// The gossip section's lines chartConfig points at the StatefulSet.
var (
	gossipSeeds  = regexp.MustCompile(`(?m)^(\s+)seeds: \[\](.*)$`)
	gossipAdvert = regexp.MustCompile(`(?m)^(\s+)advertise_host: ""(.*)$`)
)

// ChartConfig is the config.yaml the chart mounts: the project's, with a
// gossip registry's seeds and advertise_host taken from the environment
// the StatefulSet sets (GOSSIP_SEED: pod 0's headless DNS name;
// GOSSIP_ADVERTISE_HOST: the suffix that makes each pod's name
// resolvable), when config.yaml leaves them at their defaults. The second
// result is false when it does not (the user set them; they are kept).
func (p *Project) ChartConfig() (string, bool) {
	text := p.ConfigText
	if !p.Gossip() {
		return text, true
	}
	i := strings.Index(text, "\n  gossip:")
	if i < 0 {
		return text, false
	}
	head, tail := text[:i], text[i:]
	if !gossipSeeds.MatchString(tail) || !gossipAdvert.MatchString(tail) {
		return text, false
	}
	tail = replaceFirst(gossipSeeds, tail, `${1}seeds: ["$${GOSSIP_SEED}"]${2}`)
	tail = replaceFirst(gossipAdvert, tail, `${1}advertise_host: "$${GOSSIP_ADVERTISE_HOST}"${2}`)
	return head + tail, true
}

func replaceFirst(re *regexp.Regexp, s, repl string) string {
	loc := re.FindStringSubmatchIndex(s)
	if loc == nil {
		return s
	}
	var out []byte
	out = re.ExpandString(out, repl, s, loc)
	return s[:loc[0]] + string(out) + s[loc[1]:]
}
