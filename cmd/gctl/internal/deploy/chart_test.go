package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

// scaffolded writes a project as gctl new does (without go mod tidy) and
// renders its artifacts.
func scaffolded(t *testing.T, o scaffold.Options) (*Project, map[string]string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "svc")
	o.Name = "svc"
	for k, def := range map[*string]string{&o.Err: "none", &o.Auth: "none", &o.Trace: "none", &o.Metric: "prom", &o.Cache: "memory",
		&o.Registry: "memory", &o.RemoteConfig: "none"} {
		if *k == "" {
			*k = def
		}
	}
	if _, err := scaffold.Render(o, dir, "/work/main", false); err != nil {
		t.Fatal(err)
	}
	return render(t, dir)
}

// objects parses the plain manifests: kind → objects.
func objects(t *testing.T, files map[string]string) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for name, text := range files {
		if !strings.HasPrefix(name, "deploy/k8s/") {
			continue
		}
		for _, doc := range docSep.Split(text, -1) {
			if strings.TrimSpace(doc) == "" || strings.HasPrefix(strings.TrimSpace(doc), "#") && !strings.Contains(doc, "kind:") {
				continue
			}
			var o map[string]any
			if err := yaml.UnmarshalStrict([]byte(doc), &o); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, doc)
			}
			k := o["kind"].(string)
			if want := kindFiles[k]; want != "" && name != "deploy/k8s/"+want+".yaml" {
				t.Errorf("%s in %s", k, name)
			}
			out[k] = append(out[k], o)
		}
	}
	return out
}

func dig(o any, path ...string) any {
	for _, p := range path {
		m, ok := o.(map[string]any)
		if !ok {
			return nil
		}
		o = m[p]
	}
	return o
}

func containers(o map[string]any) []map[string]any {
	var out []map[string]any
	for _, c := range dig(o, "spec", "template", "spec", "containers").([]any) {
		out = append(out, c.(map[string]any))
	}
	return out
}

func args(c map[string]any) string {
	var s []string
	for _, a := range c["args"].([]any) {
		s = append(s, a.(string))
	}
	return strings.Join(s, " ")
}

func names(objs []map[string]any) []string {
	var out []string
	for _, o := range objs {
		out = append(out, dig(o, "metadata", "name").(string))
	}
	slices.Sort(out)
	return out
}

func TestChartSQLiteDatabaseQueue(t *testing.T) {
	p, files := scaffolded(t, scaffold.Options{Kind: "api", DB: "sqlite", Queue: "database"})
	if got := p.Jobs; len(got) != 1 || got[0].Name != "example" || got[0].Consumers[0] != (JobConsumer{"example-topic", "example-queue"}) {
		t.Fatalf("jobs %+v", got)
	}
	objs := objects(t, files)
	if len(objs["Deployment"]) != 1 || len(objs["Job"]) != 0 || len(objs["StatefulSet"]) != 0 {
		t.Fatalf("kinds: %v", keys(objs))
	}
	// SQLite: the consumers share the serve pod and its data volume
	var cmds []string
	for _, c := range containers(objs["Deployment"][0]) {
		cmds = append(cmds, args(c))
		if !slices.ContainsFunc(c["volumeMounts"].([]any), func(m any) bool { return dig(m, "mountPath") == "/app/data" }) {
			t.Errorf("container %s does not mount the SQLite directory", c["name"])
		}
	}
	if want := []string{"--config=/etc/svc/config.yaml serve", "--config=/etc/svc/config.yaml event listen", "--config=/etc/svc/config.yaml queue example"}; !slices.Equal(cmds, want) {
		t.Errorf("commands %q, want %q", cmds, want)
	}
	if dig(objs["Deployment"][0], "spec", "replicas") != 1.0 {
		t.Error("SQLite needs one replica")
	}
	cm := objs["ConfigMap"][0]
	if dig(cm, "data", "config.yaml") != p.ConfigText {
		t.Error("the ConfigMap is not config.yaml")
	}
	if p.KEDATrigger() != "prometheus" {
		t.Errorf("database queue trigger %q", p.KEDATrigger())
	}
}

func TestChartRPCPostgresKafkaGossip(t *testing.T) {
	p, files := scaffolded(t, scaffold.Options{Kind: "rpc", DB: "postgres", Queue: "kafka", Registry: "gossip"})
	objs := objects(t, files)
	if len(objs["StatefulSet"]) != 1 || len(objs["Service"]) != 2 || len(objs["Job"]) != 1 {
		t.Fatalf("kinds: %v", keys(objs))
	}
	ss := objs["StatefulSet"][0]
	if dig(ss, "spec", "serviceName") != "svc-headless" {
		t.Errorf("serviceName %v", dig(ss, "spec", "serviceName"))
	}
	serve := containers(ss)[0]
	if dig(serve, "startupProbe", "grpc", "port") != 9090.0 || dig(serve, "readinessProbe", "httpGet", "path") != ReadinessPath ||
		dig(serve, "livenessProbe", "httpGet", "path") != LivenessPath {
		t.Errorf("probes: %v %v %v", serve["startupProbe"], serve["readinessProbe"], serve["livenessProbe"])
	}
	env := map[string]any{}
	for _, e := range serve["env"].([]any) {
		env[dig(e, "name").(string)] = dig(e, "value")
	}
	if env["GOSSIP_SEED"] != "svc-0.svc-headless.$(POD_NAMESPACE).svc.cluster.local:7946" || env["GOSSIP_ADVERTISE_HOST"] != ".svc-headless.$(POD_NAMESPACE).svc.cluster.local" {
		t.Errorf("gossip env %v", env)
	}
	cfg := dig(objs["ConfigMap"][0], "data", "config.yaml").(string)
	if !strings.Contains(cfg, `seeds: ["${GOSSIP_SEED}"]`) || !strings.Contains(cfg, `advertise_host: "${GOSSIP_ADVERTISE_HOST}"`) {
		t.Error("the chart's config.yaml does not read the gossip seed and host")
	}
	for _, s := range objs["Service"] {
		for _, port := range dig(s, "spec", "ports").([]any) {
			if dig(port, "name") == "grpc" && dig(port, "appProtocol") != "grpc" {
				t.Errorf("grpc appProtocol %v", dig(port, "appProtocol"))
			}
		}
	}
	if got := names(objs["Deployment"]); !slices.Equal(got, []string{"svc-events", "svc-example"}) {
		t.Errorf("consumer deployments %v", got)
	}
	job := objs["Job"][0]
	if dig(job, "metadata", "annotations", "helm.sh/hook") != "pre-install,pre-upgrade" || args(containers(job)[0]) != "--config=/etc/svc/config.yaml db migrate" {
		t.Errorf("migrate job %v", job["metadata"])
	}
	if vol := dig(job, "spec", "template", "spec", "volumes").([]any)[0]; dig(vol, "configMap", "name") != "svc-migrate" {
		t.Errorf("the hook Job must mount the hook ConfigMap: %v", vol)
	}
	if p.KEDATrigger() != "kafka" || p.Config.RegistryDriver != "gossip" {
		t.Errorf("trigger %q registry %q", p.KEDATrigger(), p.Config.RegistryDriver)
	}
	// config.yaml's brokers are the development default, 127.0.0.1:9092:
	// KEDA's operator would ask itself, so the value is required
	if _, err := kedaRenderErr(p, files, nil); err == nil || !strings.Contains(err.Error(), "keda.kafka.bootstrapServers") {
		t.Errorf("kafka KEDA with loopback brokers: %v", err)
	}
	kafka := kedaRender(t, p, files, nil, "keda.kafka.bootstrapServers=kafka-0.kafka:9092")
	for _, want := range []string{"type: kafka", `consumerGroup: "example-queue"`, `topic: "example-topic"`, `consumerGroup: "svc"`, `topic: "events"`, `bootstrapServers: "kafka-0.kafka:9092"`} {
		if !strings.Contains(kafka, want) {
			t.Errorf("kafka ScaledObjects lack %s:\n%s", want, kafka)
		}
	}
}

func TestChartRabbitMQNoDB(t *testing.T) {
	p, files := scaffolded(t, scaffold.Options{Kind: "api", DB: "none", Queue: "rabbitmq"})
	objs := objects(t, files)
	if len(objs["Job"]) != 0 || p.MigrateJob() {
		t.Error("no database, no migrate job")
	}
	if !slices.Contains(p.Config.EnvVars, "AMQP_URL") || !slices.Contains(p.Config.EnvVars, "MANAGEMENT_PASSWORD") || slices.Contains(p.Config.EnvVars, "VAR") {
		t.Errorf("env vars %v", p.Config.EnvVars)
	}
	if _, err := kedaRenderErr(p, files, nil); err == nil || !strings.Contains(err.Error(), "secrets.existingSecret") {
		t.Errorf("rabbitmq KEDA without a secret: %v", err)
	}
	out := kedaRender(t, p, files, map[string]any{"existingSecret": "svc-secrets"})
	for _, want := range []string{"kind: TriggerAuthentication", "parameter: host", "key: AMQP_URL", `queueName: "gox.example-topic.example-queue"`, "mode: QueueLength"} {
		if !strings.Contains(out, want) {
			t.Errorf("rabbitmq lacks %s:\n%s", want, out)
		}
	}
}

func TestChartNATS(t *testing.T) {
	p, files := scaffolded(t, scaffold.Options{Kind: "api", DB: "postgres", Queue: "nats"})
	out := kedaRender(t, p, files, nil, "keda.nats.monitoringEndpoint=nats:8222")
	for _, want := range []string{"type: nats-jetstream", `stream: "GOX_example-topic"`, `consumer: "example-queue"`, `natsServerMonitoringEndpoint: "nats:8222"`} {
		if !strings.Contains(out, want) {
			t.Errorf("nats lacks %s:\n%s", want, out)
		}
	}
}

// kedaRender renders the chart of files with keda enabled, secrets set to
// secrets, and the dotted key=value strings set.
func kedaRender(t *testing.T, p *Project, files map[string]string, secrets map[string]any, set ...string) string {
	t.Helper()
	out, err := kedaRenderErr(p, files, secrets, set...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func kedaRenderErr(p *Project, files map[string]string, secrets map[string]any, set ...string) (string, error) {
	var vals map[string]any
	if err := yaml.Unmarshal([]byte(files["deploy/chart/values.yaml"]), &vals); err != nil {
		return "", err
	}
	vals["keda"].(map[string]any)["enabled"] = true
	for k, v := range secrets {
		vals["secrets"].(map[string]any)[k] = v
	}
	for _, s := range set {
		k, v, _ := strings.Cut(s, "=")
		path := strings.Split(k, ".")
		m := vals
		for _, p := range path[:len(path)-1] {
			m = m[p].(map[string]any)
		}
		m[path[len(path)-1]] = v
	}
	b, _ := json.Marshal(vals)
	tmpls := map[string]string{}
	for name, text := range files {
		if n, ok := strings.CutPrefix(name, "deploy/chart/templates/"); ok {
			tmpls[n] = text
		}
	}
	plain, err := PlainManifests(p.Binary, b, tmpls)
	if err != nil {
		return "", err
	}
	for _, f := range plain {
		if f.Name == "deploy/k8s/keda.yaml" {
			return string(f.Data), nil
		}
	}
	return "", nil
}

func keys(m map[string][]map[string]any) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"×"+string(rune('0'+len(v))))
	}
	slices.Sort(out)
	return out
}

func TestDrainFormula(t *testing.T) {
	for _, c := range []struct {
		delay, timeout time.Duration
		preStop, grace int
	}{
		{0, 30 * time.Second, 5, 40},
		{10 * time.Second, 30 * time.Second, 0, 45},
		{0, 1500 * time.Millisecond, 5, 12},
	} {
		p := &Project{Config: Config{StopDelay: c.delay, StopTimeout: c.timeout}}
		d := p.Drain()
		if int(d.PreStopSleep/time.Second) != c.preStop || int(d.Grace/time.Second) != c.grace {
			t.Errorf("delay %v timeout %v: %+v", c.delay, c.timeout, d)
		}
	}
	_, files := render(t, project(t, "app:\n  stop_delay: 10s\n  stop_timeout: 20s\nhttp:\n  addr: \":8080\"\n"))
	dep := objects(t, files)["Deployment"][0]
	if g := dig(dep, "spec", "template", "spec", "terminationGracePeriodSeconds"); g != 35.0 {
		t.Errorf("grace %v, want 10+20+5", g)
	}
	if dig(containers(dep)[0], "lifecycle") != nil {
		t.Error("stop_delay drains already: no preStop sleep")
	}
}

func TestHeadersPerLanguage(t *testing.T) {
	_, files := render(t, project(t, rpcConfig))
	var schema map[string]any
	if err := json.Unmarshal([]byte(files["deploy/chart/values.schema.json"]), &schema); err != nil {
		t.Fatalf("the schema with its header is not JSON: %v", err)
	}
	for name, text := range files {
		if !Pristine([]byte(text)) {
			t.Errorf("%s is not pristine", name)
		}
	}
	if !strings.HasPrefix(files["deploy/chart/templates/serve.yaml"], "{{- /* generated by gctl deploy") ||
		!strings.HasPrefix(files["deploy/chart/README.md"], "<!-- generated by gctl deploy") {
		t.Error("chart templates and the README need comments of their language")
	}
}

func TestEditedChartTemplateKept(t *testing.T) {
	dir := project(t, rpcConfig)
	p, _ := render(t, dir)
	files, _ := Render(p)
	if _, err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
	tmpl := filepath.Join(dir, "deploy", "chart", "templates", "serve.yaml")
	b, _ := os.ReadFile(tmpl)
	edited := strings.Replace(string(b), "podManagementPolicy: Parallel", "podManagementPolicy: OrderedReady", 1)
	if err := os.WriteFile(tmpl, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Write(dir, files)
	if err != nil || len(res.Written) != 0 || !slices.Equal(res.Kept, []string{"deploy/chart/templates/serve.yaml"}) {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestNoHTTPAddrWritesNothing(t *testing.T) {
	dir := project(t, "grpc:\n  addr: \":9090\"\n")
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "http.addr") {
		t.Fatalf("error %v, want one naming http.addr", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "deploy")); !os.IsNotExist(err) {
		t.Error("deploy/ was created")
	}
}
