package deploy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

// renderValues renders the chart of files as helm install would with
// values.yaml changed by edit: the objects by kind, or the render's error.
func renderValues(t *testing.T, p *Project, files map[string]string, edit func(v map[string]any)) (map[string][]map[string]any, error) {
	t.Helper()
	var vals map[string]any
	if err := yaml.Unmarshal([]byte(files["deploy/chart/values.yaml"]), &vals); err != nil {
		t.Fatal(err)
	}
	edit(vals)
	b, err := json.Marshal(vals)
	if err != nil {
		t.Fatal(err)
	}
	tmpls := map[string]string{}
	for name, text := range files {
		if n, ok := strings.CutPrefix(name, "deploy/chart/templates/"); ok {
			tmpls[n] = text
		}
	}
	plain, err := PlainManifests(p.Binary, b, tmpls)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range plain {
		out[f.Name] = string(f.Data)
	}
	return objects(t, out), nil
}

func values(t *testing.T, files map[string]string) map[string]any {
	t.Helper()
	var vals map[string]any
	if err := yaml.Unmarshal([]byte(files["deploy/chart/values.yaml"]), &vals); err != nil {
		t.Fatal(err)
	}
	return vals
}

// secretRefs are the variables the container c takes from a Secret:
// name → optional.
func secretRefs(c map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, e := range c["env"].([]any) {
		if ref := dig(e, "valueFrom", "secretKeyRef"); ref != nil {
			out[dig(e, "name").(string)] = dig(ref, "optional") == true
		}
	}
	return out
}

const secretsConfig = "app:\n  name: shop\nhttp:\n  addr: \":8080\"\nmanagement:\n  password: ${MANAGEMENT_PASSWORD}\n" +
	"database:\n  default:\n    driver: postgres\n    dsn: ${DB_DSN}\nlog:\n  level: ${LOG_LEVEL:-info}\n" +
	"openapi:\n  expose: ${OPENAPI_EXPOSE:-}\n  other: \"${DB_DSN:-x}\"\n"

// B1/B2: a variable config.yaml reads without a default is set from a
// Secret key that is not optional, by default from <binary>-secrets; an
// emptied existingSecret is refused with the variables named.
func TestChartRequiredSecrets(t *testing.T) {
	p, files := render(t, project(t, secretsConfig))
	if !slices.Equal(p.Config.RequiredEnv, []string{"DB_DSN", "MANAGEMENT_PASSWORD"}) || !slices.Equal(p.Config.OptionalEnv, []string{"LOG_LEVEL", "OPENAPI_EXPOSE"}) {
		t.Fatalf("required %v, optional %v", p.Config.RequiredEnv, p.Config.OptionalEnv)
	}
	sec := values(t, files)["secrets"].(map[string]any)
	if sec["existingSecret"] != "shop-secrets" {
		t.Errorf("existingSecret %v, want shop-secrets", sec["existingSecret"])
	}
	if !strings.Contains(files["deploy/chart/values.yaml"], "existingSecret: shop-secrets   # must hold DB_DSN MANAGEMENT_PASSWORD") {
		t.Errorf("the comment of existingSecret does not name what it must hold:\n%s", files["deploy/chart/values.yaml"])
	}
	objs := objects(t, files)
	serve := containers(objs["Deployment"][0])[0]
	want := map[string]bool{"DB_DSN": false, "MANAGEMENT_PASSWORD": false, "LOG_LEVEL": true, "OPENAPI_EXPOSE": true}
	if got := secretRefs(serve); !mapsEqual(got, want) {
		t.Errorf("secret refs (name → optional) %v, want %v", got, want)
	}
	for _, readme := range []string{"`secrets.required` (`DB_DSN`, `MANAGEMENT_PASSWORD`)", "kubectl create secret generic shop-secrets --from-literal=DB_DSN=... --from-literal=MANAGEMENT_PASSWORD=..."} {
		if !strings.Contains(files["deploy/chart/README.md"], readme) {
			t.Errorf("README lacks %s", readme)
		}
	}

	_, err := renderValues(t, p, files, func(v map[string]any) { v["secrets"].(map[string]any)["existingSecret"] = "" })
	if err == nil {
		t.Fatal("an empty existingSecret renders while config.yaml needs DB_DSN and MANAGEMENT_PASSWORD")
	}
	for _, w := range []string{"secrets.existingSecret", "DB_DSN, MANAGEMENT_PASSWORD", "without a default"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not name %q: %v", w, err)
		}
	}
	// set in env instead: accepted, and no Secret is referenced
	objs, err = renderValues(t, p, files, func(v map[string]any) {
		v["secrets"].(map[string]any)["existingSecret"] = ""
		v["env"] = []any{map[string]any{"name": "DB_DSN", "value": "postgres://db"}, map[string]any{"name": "MANAGEMENT_PASSWORD", "value": "x"}}
	})
	if err != nil {
		t.Fatalf("required variables set in env: %v", err)
	}
	if got := secretRefs(containers(objs["Deployment"][0])[0]); len(got) != 0 {
		t.Errorf("secret refs without a Secret: %v", got)
	}
	_, err = renderValues(t, p, files, func(v map[string]any) {
		v["secrets"].(map[string]any)["existingSecret"] = ""
		v["env"] = []any{map[string]any{"name": "DB_DSN", "value": "postgres://db"}}
	})
	if err == nil || !strings.Contains(err.Error(), "reads MANAGEMENT_PASSWORD without") {
		t.Errorf("one required variable left unset: %v", err)
	}
}

// Without a variable lacking a default nothing needs a Secret: the
// default existingSecret stays empty and the chart renders.
func TestChartNoRequiredSecrets(t *testing.T) {
	p, files := scaffolded(t, scaffold.Options{Kind: "api", DB: "postgres", Queue: "none"})
	if len(p.Config.RequiredEnv) != 0 || len(p.Config.OptionalEnv) == 0 {
		t.Fatalf("required %v, optional %v", p.Config.RequiredEnv, p.Config.OptionalEnv)
	}
	if sec := values(t, files)["secrets"].(map[string]any); sec["existingSecret"] != "" || len(sec["required"].([]any)) != 0 {
		t.Errorf("secrets %v", sec)
	}
	objs := objects(t, files)
	if got := secretRefs(containers(objs["Deployment"][0])[0]); len(got) != 0 {
		t.Errorf("secret refs without a Secret: %v", got)
	}
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// B3: SQLite (colocate) keeps the database in a file of one pod: more
// replicas or an HPA are refused with the key named.
func TestChartSQLiteRefusesScaleOut(t *testing.T) {
	p, files := scaffolded(t, scaffold.Options{Kind: "api", DB: "sqlite", Queue: "database"})
	for key, edit := range map[string]func(map[string]any){
		"replicas 2":          func(v map[string]any) { v["replicas"] = 2 },
		"autoscaling.enabled": func(v map[string]any) { v["autoscaling"].(map[string]any)["enabled"] = true },
	} {
		_, err := renderValues(t, p, files, edit)
		if err == nil {
			t.Errorf("%s renders for a SQLite service", key)
			continue
		}
		for _, w := range []string{key, "SQLite", "MySQL or PostgreSQL"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: the error does not say %q: %v", key, w, err)
			}
		}
	}
	if _, err := renderValues(t, p, files, func(v map[string]any) { v["replicas"] = 1 }); err != nil {
		t.Errorf("replicas 1: %v", err)
	}
	p, files = scaffolded(t, scaffold.Options{Kind: "api", DB: "postgres", Queue: "database"})
	objs, err := renderValues(t, p, files, func(v map[string]any) {
		v["replicas"] = 3
		v["autoscaling"].(map[string]any)["enabled"] = true
	})
	if err != nil || len(objs["HorizontalPodAutoscaler"]) != 1 {
		t.Errorf("PostgreSQL scales out: %v (%v)", err, keys(objs))
	}
}

// B4: the development default of queue.kafka.brokers (loopback) is no
// default for KEDA, which runs in a pod of its own.
func TestKafkaBrokersForKEDA(t *testing.T) {
	for cfg, want := range map[string]string{
		`    brokers: ["${KAFKA_BROKERS:-127.0.0.1:9092}"]`:                    "",
		`    brokers: ["localhost:9092", "[::1]:9093"]`:                        "",
		`    brokers: ["${KAFKA_BROKERS:-kafka-0.kafka:9092}", "127.0.0.1:1"]`: "kafka-0.kafka:9092",
		`    brokers: [kafka-0.kafka:9092, kafka-1.kafka:9092]`:                "kafka-0.kafka:9092,kafka-1.kafka:9092",
		`    other: 1`: "",
	} {
		if got := kafkaBrokers("queue:\n  kafka:\n" + cfg + "\n"); got != want {
			t.Errorf("%s: %q, want %q", cfg, got, want)
		}
	}
}

func serveAnnotations(t *testing.T, objs map[string][]map[string]any) map[string]any {
	t.Helper()
	for _, kind := range []string{"Deployment", "StatefulSet"} {
		for _, o := range objs[kind] {
			if args(containers(o)[0]) != "" && strings.HasSuffix(args(containers(o)[0]), " serve") {
				a, _ := dig(o, "spec", "template", "metadata", "annotations").(map[string]any)
				return a
			}
		}
	}
	t.Fatal("no serve workload")
	return nil
}

// N2: serve's pods carry Prometheus's discovery annotations when the
// service exports metrics, on the metrics port when it has one.
func TestChartMetricsAnnotations(t *testing.T) {
	p, files := scaffolded(t, scaffold.Options{Kind: "api", DB: "postgres", Queue: "database", Metric: "prom"})
	if !p.Config.Metrics {
		t.Fatal("--metric prom: Config.Metrics is false")
	}
	want := map[string]any{"prometheus.io/scrape": "true", "prometheus.io/port": "8080", "prometheus.io/path": "/metrics"}
	if got := serveAnnotations(t, objects(t, files)); !equalAny(got, want) {
		t.Errorf("serve annotations %v, want %v", got, want)
	}
	objs, err := renderValues(t, p, files, func(v map[string]any) {
		v["ports"].(map[string]any)["metrics"] = 9100
		v["podAnnotations"] = map[string]any{"prometheus.io/path": "/m", "team": "a"}
	})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]any{"prometheus.io/scrape": "true", "prometheus.io/port": "9100", "prometheus.io/path": "/m", "team": "a"}
	if got := serveAnnotations(t, objs); !equalAny(got, want) {
		t.Errorf("with ports.metrics and podAnnotations: %v, want %v", got, want)
	}
	objs, _ = renderValues(t, p, files, func(v map[string]any) { v["metrics"].(map[string]any)["podAnnotations"] = false })
	if got := serveAnnotations(t, objs); got != nil {
		t.Errorf("metrics.podAnnotations false: %v", got)
	}

	p, files = scaffolded(t, scaffold.Options{Kind: "api", DB: "postgres", Queue: "database", Metric: "none"})
	if p.Config.Metrics || values(t, files)["metrics"].(map[string]any)["podAnnotations"] != false {
		t.Error("--metric none: serve exports no /metrics, yet podAnnotations is on")
	}
	if got := serveAnnotations(t, objects(t, files)); got != nil {
		t.Errorf("--metric none: annotations %v", got)
	}
}

func equalAny(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// N3: gateways without mesh would drop the in-mesh callers' routing.
func TestIstioGatewaysKeepMesh(t *testing.T) {
	p, files := scaffolded(t, scaffold.Options{Kind: "api", DB: "postgres", Queue: "none"})
	for _, c := range []struct{ set, want []any }{
		{[]any{"istio-system/public"}, []any{"istio-system/public", "mesh"}},
		{[]any{"mesh", "istio-system/public"}, []any{"mesh", "istio-system/public"}},
		{[]any{}, nil},
	} {
		objs, err := renderValues(t, p, files, func(v map[string]any) {
			i := v["istio"].(map[string]any)
			i["enabled"], i["gateways"] = true, c.set
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := dig(objs["VirtualService"][0], "spec", "gateways").([]any)
		if !slices.Equal(got, c.want) {
			t.Errorf("gateways %v render as %v, want %v", c.set, got, c.want)
		}
	}
}
