package audit

import (
	"encoding/json"
	"time"
)

// Outcomes of a call.
const (
	OutcomeOK    = "ok"
	OutcomeError = "error"
)

// Record is one audited call. BrokerSink publishes it as this JSON object.
type Record struct {
	// Time is when the call started.
	Time time.Time `json:"time"`
	// Subject is who made the call: the JWT subject, the subject header, or
	// Config.Anonymous.
	Subject string `json:"subject"`
	// Operation is the route template or gRPC method.
	Operation string `json:"operation"`
	// Kind is the transport: http, grpc, queue.
	Kind string `json:"kind"`
	// Resources are the values of Config.ResourceFields found for this
	// call, by field name.
	Resources map[string]string `json:"resources,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	TraceID   string            `json:"trace_id,omitempty"`
	// Client is the caller's address.
	Client string `json:"client,omitempty"`
	// Outcome is OutcomeOK or OutcomeError (an error returned, a panic, or
	// an HTTP status of 400 or more).
	Outcome string `json:"outcome"`
	// Code is the HTTP status or the gox error code.
	Code int `json:"code"`
	// Reason is the gox error reason of a failed call.
	Reason string `json:"reason,omitempty"`
	// Latency is how long the call took (latency_ms in JSON).
	Latency time.Duration `json:"-"`
	// Request is the redacted request snapshot (Config.RecordRequest).
	Request json.RawMessage `json:"request,omitempty"`
}

// MarshalJSON writes the record with its latency in milliseconds.
func (r *Record) MarshalJSON() ([]byte, error) {
	type plain Record
	return json.Marshal(struct {
		*plain
		LatencyMS float64 `json:"latency_ms"`
	}{(*plain)(r), float64(r.Latency) / float64(time.Millisecond)})
}

// UnmarshalJSON reads what MarshalJSON writes, for consumers of the topic.
func (r *Record) UnmarshalJSON(b []byte) error {
	type plain Record
	v := struct {
		*plain
		LatencyMS float64 `json:"latency_ms"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	r.Latency = time.Duration(v.LatencyMS * float64(time.Millisecond))
	return nil
}
