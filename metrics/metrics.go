// Package metrics defines the metric names and labels every gox transport
// records, once, so HTTP, gRPC, queue consumers and event listeners share one
// scheme and one dashboard. It holds no metrics library: contrib/prometheus
// implements Recorder.
package metrics

// Names of the series. Every request-like unit of work (an HTTP request, a gRPC
// call, a consumed message, a delivered event) is recorded under them, with the
// transport in the "kind" label.
const (
	// ServerRequestsTotal counts handled requests; labels kind, operation, code.
	ServerRequestsTotal = "gox_server_requests_total"
	// ServerRequestDuration is a histogram of handling time in seconds; labels kind, operation.
	ServerRequestDuration = "gox_server_request_duration_seconds"
	// ServerRequestsInFlight is a gauge of requests being handled; label kind.
	ServerRequestsInFlight = "gox_server_requests_in_flight"
	// ClientRequestsTotal counts outgoing calls; labels kind, operation, code.
	ClientRequestsTotal = "gox_client_requests_total"
	// ClientRequestDuration is a histogram of outgoing call time in seconds; labels kind, operation.
	ClientRequestDuration = "gox_client_request_duration_seconds"
	// ClientRequestsInFlight is a gauge of outgoing calls under way; label kind.
	ClientRequestsInFlight = "gox_client_requests_in_flight"
	// RegistryHealthy is a gauge: 1 while this instance is registered in
	// its service registry, 0 otherwise (registry.Keeper.Healthy).
	RegistryHealthy = "gox_registry_healthy"

	// GovernanceCallsTotal counts the calls governance saw, by what became
	// of them; labels kind, operation, outcome (admitted, rate_limited,
	// concurrency_limited, shed, deadline_too_short, limiter_error,
	// fallback).
	GovernanceCallsTotal = "gox_governance_calls_total"
	// GovernanceCPU is the process's CPU use as the shedder sees it, a
	// share (0..1) of the CPU the process may use.
	GovernanceCPU = "gox_governance_cpu_ratio"
	// GovernanceInFlight is the calls the shedder counts in flight.
	GovernanceInFlight = "gox_governance_in_flight"
	// GovernanceInFlightLimit is how many calls may be in flight while
	// shedding, from measured throughput × minimum latency (0 until measured).
	GovernanceInFlightLimit = "gox_governance_in_flight_limit"
	// GovernanceShedding is 1 while the shedder refuses calls, 0 otherwise.
	GovernanceShedding = "gox_governance_shedding"
	// GovernanceRateLimitKeys is how many keys a local rate limit
	// remembers; label rule (its index in the policy).
	GovernanceRateLimitKeys = "gox_governance_rate_limit_keys"

	// QueueBacklog is a gauge of the messages of a durable queue ready for
	// a consumer group now (due and not held by a live reservation);
	// labels topic, group. It is what an autoscaler (KEDA) scales
	// consumers on.
	QueueBacklog = "gox_queue_backlog"
	// QueueDeadLetters is a gauge of the dead letters a consumer group
	// left on a topic; labels topic, group.
	QueueDeadLetters = "gox_queue_dead_letters"
	// QueueBacklogOverflow is a gauge of the topic and group pairs the last
	// backlog sample left out, over its bound on series.
	QueueBacklogOverflow = "gox_queue_backlog_overflow"
)

// Label names. "code" holds the gox error code (HTTP status semantics: "200",
// "404", "503") on every transport, so one query covers HTTP and gRPC.
const (
	LabelKind      = "kind"
	LabelOperation = "operation"
	LabelCode      = "code"
	LabelOutcome   = "outcome"
	LabelRule      = "rule"
	LabelTopic     = "topic"
	LabelGroup     = "group"
)

// QueueLabels returns the labels of the queue backlog gauges: topic, group.
func QueueLabels() []string { return []string{LabelTopic, LabelGroup} }

// CounterLabels returns the labels of the request counters: kind, operation, code.
func CounterLabels() []string { return []string{LabelKind, LabelOperation, LabelCode} }

// DurationLabels returns the labels of the latency histograms: kind, operation.
func DurationLabels() []string { return []string{LabelKind, LabelOperation} }

// InFlightLabels returns the labels of the in-flight gauges: kind.
func InFlightLabels() []string { return []string{LabelKind} }

// DurationBuckets returns the default latency histogram buckets, in seconds:
// 50µs, 100µs, 250µs, 500µs, 1ms, 2.5ms … 2.5s, 5s, 10s.
//
// They start at 50µs because that is where gox serves: a routed request with
// the default chain takes 30–100µs, so buckets starting at 1ms would put
// nearly every request into the first one and every quantile computed from
// them would be an interpolation inside it. Steps of 2–2.5× keep a
// quantile's error within one step from 50µs up to 10s, a deadline longer
// than most requests are given; beyond it only +Inf counts. That is 17
// buckets (18 series with +Inf) per operation, 4 more than the 1ms–10s set
// gox had, which resolved neither the fast path nor a cache hit.
func DurationBuckets() []float64 {
	return []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
}

// Recorder records units of work. Implementations are safe for concurrent use
// and must not block.
type Recorder interface {
	// InFlight adds delta (+1 or -1) to the in-flight gauge of kind.
	InFlight(kind string, delta float64)
	// Observe records one finished unit of work.
	Observe(kind, operation, code string, seconds float64)
}

// Binder is implemented by Recorders that can find the series of one kind and
// operation once, ahead of the calls that record into them. The metrics
// middleware binds each operation the first time it sees it and records
// through what Bind returned from then on, skipping the label lookups a
// Recorder makes on every call.
type Binder interface {
	Bind(kind, operation string) Bound
}

// Bound records units of work of the kind and operation it was bound to,
// into the same series the Recorder's InFlight and Observe use.
type Bound interface {
	// InFlight adds delta (+1 or -1) to the in-flight gauge of the kind.
	InFlight(delta float64)
	// Observe records one finished unit of work.
	Observe(code string, seconds float64)
}
