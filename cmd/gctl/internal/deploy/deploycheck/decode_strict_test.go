package deploycheck

import (
	"strings"
	"testing"
)

// TestDecodeRefusesUnknownFields shows the decoders are strict: a
// misspelt field fails for every family of kinds the chart renders, and
// the same document spelt right passes.
func TestDecodeRefusesUnknownFields(t *testing.T) {
	cases := []struct{ name, good, bad, want string }{
		{"Deployment", `apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec:
  replicas: 2
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: a, image: a}]}
`, "replicas: 2", `unknown field "replica"`},
		{"ScaledObject", `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: a}
spec:
  scaleTargetRef: {name: a}
  maxReplicaCount: 3
  triggers: [{type: kafka, metadata: {bootstrapServers: "k:9092", consumerGroup: g}}]
`, "maxReplicaCount: 3", `unknown field "maxReplica"`},
		{"VirtualService", `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a}
spec:
  hosts: [a]
  http: [{route: [{destination: {host: a}}], timeout: 2s}]
`, "timeout: 2s", `unknown field "timeOut"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := decode(doc{text: c.good}); err != nil {
				t.Fatalf("the well-formed %s fails: %v", c.name, err)
			}
			bad := strings.Replace(c.good, c.bad, strings.Replace(strings.Replace(c.bad, "replicas", "replica", 1), "maxReplicaCount", "maxReplica", 1), 1)
			if c.name == "VirtualService" {
				bad = strings.Replace(c.good, "timeout:", "timeOut:", 1)
			}
			_, err := decode(doc{text: bad})
			if err == nil || !strings.Contains(err.Error(), strings.Trim(strings.TrimPrefix(c.want, "unknown field "), `"`)) {
				t.Fatalf("a misspelt field decodes: err = %v, want one naming %s", err, c.want)
			}
		})
	}
}
