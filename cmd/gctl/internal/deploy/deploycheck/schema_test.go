package deploycheck

import (
	"strings"
	"testing"
)

// TestBadValuesRefused: Helm refuses bad values before rendering anything
// (values.schema.json, or a fail/required in a template), and its error
// names the key, so a user knows what to change.
func TestBadValuesRefused(t *testing.T) {
	cases := []struct {
		name   string
		v      variant
		values string
		want   []string // all in the error
	}{
		{"negative replicas", apiSQLite, `replicas: -1`, []string{"replicas", "minimum"}},
		{"replicas not a number", apiSQLite, `replicas: two`, []string{"replicas"}},
		{"unknown top-level key", apiSQLite, `replica: 3`, []string{"replica"}},
		{"unknown nested key", apiSQLite, `probes: {readiness: {pathh: /readyz}}`, []string{"pathh"}},
		{"bad cron schedule", apiSQLite, `cronjobs: [{name: nightly, schedule: "every night", args: [db, status]}]`, []string{"schedule"}},
		{"cron job name not a DNS label", apiSQLite, `cronjobs: [{name: Nightly_Job, schedule: "@daily", args: [db, status]}]`, []string{"name"}},
		{"pull policy", apiSQLite, `image: {pullPolicy: Sometimes}`, []string{"pullPolicy"}},
		{"port out of range", apiSQLite, `ports: {http: 70000}`, []string{"http"}},
		{"unknown keda trigger", rpcKafkaGossip, `keda: {enabled: true, trigger: sqs}`, []string{"trigger"}},
		{"rabbitmq keda without the secret", apiRabbit, `keda: {enabled: true}`, []string{"secrets.existingSecret"}},
		{"nats keda without the monitoring endpoint", apiNATS, `keda: {enabled: true}`, []string{"keda.nats.monitoringEndpoint"}},
		{"prometheus keda without the server", ordersMySQL, `keda: {enabled: true}`, []string{"keda.prometheus.serverAddress"}},
		{"istio timeout not a duration", apiSQLite, `istio: {enabled: true, timeout: soon}`, []string{"timeout"}},
		// SQLite is a file in one pod (colocate): scaling serve out splits the writes
		{"sqlite with replicas", apiSQLite, `replicas: 3`, []string{"replicas 3", "MySQL or PostgreSQL"}},
		{"sqlite with an HPA", apiSQLite, `autoscaling: {enabled: true}`, []string{"autoscaling.enabled", "MySQL or PostgreSQL"}},
		// config.yaml's brokers are loopback (the development default): KEDA would ask itself
		{"kafka keda without the brokers", rpcKafkaGossip, `keda: {enabled: true}`, []string{"keda.kafka.bootstrapServers"}},
		// management.password: ${MANAGEMENT_PASSWORD} has no default
		{"a variable without a default and no secret", apiSQLite, `secrets: {existingSecret: ""}`, []string{"secrets.existingSecret", "MANAGEMENT_PASSWORD"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := scaffolded(t, c.v)
			_, err := helmTemplate(p.chartDir, p.Binary, "default", values(t, c.values))
			if err == nil {
				t.Fatalf("helm accepts %s", c.values)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not name %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestOldKubernetesRefused: the chart declares the Kubernetes it needs
// (the preStop sleep action is 1.30's), so Helm refuses an older cluster
// by name instead of the API server refusing the pods.
func TestOldKubernetesRefused(t *testing.T) {
	p := scaffolded(t, apiSQLite)
	_, err := helmTemplateOn("v1.29.4", p.chartDir, p.Binary, "default", nil)
	if err == nil || !strings.Contains(err.Error(), "kubeVersion") {
		t.Fatalf("Kubernetes 1.29: err = %v, want one naming kubeVersion", err)
	}
	if _, err := helmTemplateOn("v1.30.0", p.chartDir, p.Binary, "default", nil); err != nil {
		t.Fatalf("Kubernetes 1.30: %v", err)
	}
}
