package deploycheck

import (
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
)

// TestHelmLint: `helm lint --strict` finds nothing to warn about in each
// project's chart, with the default values and with every value set.
func TestHelmLint(t *testing.T) {
	for _, vs := range append([]valueSet{{name: "rabbitmq defaults", v: apiRabbit}, {name: "nats defaults", v: apiNATS}}, valueSets...) {
		t.Run(vs.name, func(t *testing.T) {
			p := scaffolded(t, vs.v)
			lint := action.NewLint()
			lint.Strict, lint.Namespace = true, "default"
			kv, err := common.ParseKubeVersion(kubeVersion)
			if err != nil {
				t.Fatal(err)
			}
			lint.KubeVersion = kv
			res := lint.Run([]string{p.chartDir}, values(t, vs.values))
			for _, m := range res.Messages {
				t.Logf("lint: %s", m)
			}
			for _, err := range res.Errors {
				t.Errorf("helm lint --strict: %v", err)
			}
			if res.TotalChartsLinted != 1 {
				t.Errorf("%d charts linted, want 1", res.TotalChartsLinted)
			}
		})
	}
}
