package deploycheck

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	istionet "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"

	"sigs.k8s.io/yaml"

	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

// ordersMySQL is a service on MySQL with the database queue: consumers
// are Deployments of their own, db migrate a hook Job, and KEDA scales
// them on the gox_queue_backlog gauge through Prometheus. Its metrics
// have a listener of their own (http.metrics.addr).
var ordersMySQL = variant{name: "orders", opts: scaffold.Options{Kind: "api", DB: "mysql", Queue: "database", Cache: "memory", Metric: "prom", Registry: "consul"},
	edit: func(c string) string {
		return strings.Replace(c, `addr: ""                # a listener of its own`, `addr: ":9100"           # a listener of its own`, 1)
	}}

// valueSet is one `helm install -f values.yaml` of a project's chart.
type valueSet struct {
	name   string
	v      variant
	values string
	// want are kinds (and how many) the render must hold, beyond the
	// ConfigMap and Service every render has.
	want map[string]int
}

var valueSets = []valueSet{
	{name: "sqlite defaults", v: apiSQLite, want: map[string]int{"Deployment": 1, "PodDisruptionBudget": 1}},
	{name: "sqlite istio cronjobs", v: apiSQLite, values: `
istio: {enabled: true, gateways: [istio-system/public]}
secrets: {existingSecret: shop-secrets}
cronjobs:
  - name: retry-dead-letters
    schedule: "*/30 * * * *"
    args: [queue, retry, --topic, example, --group, shop]
  - {name: nightly, schedule: "@daily", args: [db, status], timeZone: Europe/Paris}
`, want: map[string]int{"Deployment": 1, "VirtualService": 1, "DestinationRule": 1, "CronJob": 2}},
	{name: "rpc kafka gossip defaults", v: rpcKafkaGossip, want: map[string]int{"StatefulSet": 1, "Service": 2, "Job": 1, "Deployment": 2}},
	{name: "rpc kafka gossip keda istio hpa", v: rpcKafkaGossip, values: `
keda: {enabled: true, kafka: {bootstrapServers: "kafka-0.kafka.kafka.svc:9092,kafka-1.kafka.kafka.svc:9092"}}
istio: {enabled: true, retries: {attempts: 2, perTryTimeout: 1s, retryOn: "unavailable"}}
autoscaling: {enabled: true}
`, want: map[string]int{"StatefulSet": 1, "ScaledObject": 2, "HorizontalPodAutoscaler": 1, "VirtualService": 1, "DestinationRule": 1}},
	{name: "rabbitmq keda", v: apiRabbit, values: `
secrets: {existingSecret: mailer-secrets}
keda: {enabled: true}
`, want: map[string]int{"Deployment": 3, "ScaledObject": 2, "TriggerAuthentication": 1}},
	{name: "nats keda", v: apiNATS, values: `
keda: {enabled: true, nats: {monitoringEndpoint: "nats.nats.svc:8222"}}
`, want: map[string]int{"Deployment": 3, "ScaledObject": 2}},
	{name: "mysql database queue keda prometheus cronjob", v: ordersMySQL, values: `
keda: {enabled: true, prometheus: {serverAddress: "http://prometheus.monitoring.svc:9090"}}
cronjobs: [{name: status, schedule: "0 3 * * 1-5", args: [db, status], concurrencyPolicy: Replace}]
`, want: map[string]int{"Deployment": 3, "ScaledObject": 2, "Job": 1, "CronJob": 1}},
}

// render renders vs's chart with Helm as release <binary> in namespace
// default and decodes every document strictly; a document that does not
// decode fails the test.
func render(t *testing.T, vs valueSet) (*project, []object) {
	t.Helper()
	p := scaffolded(t, vs.v)
	docs, err := helmTemplate(p.chartDir, p.Binary, "default", values(t, vs.values))
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	objs, problems := decodeAll(docs)
	for _, pr := range problems {
		t.Errorf("does not decode strictly: %s", pr)
	}
	return p, objs
}

// TestChartRendersStrictly renders each value set with Helm and decodes
// every document strictly into its typed object, then checks what a user
// would hit deploying it.
func TestChartRendersStrictly(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			p, objs := render(t, vs)
			kinds := map[string]int{}
			for _, o := range objs {
				kinds[o.gvk.Kind]++
			}
			for k, n := range vs.want {
				if kinds[k] != n {
					t.Errorf("%d %s, want %d (rendered: %v)", kinds[k], k, n, kinds)
				}
			}
			for _, k := range []string{"ConfigMap", "Service"} {
				if kinds[k] == 0 {
					t.Errorf("no %s (rendered: %v)", k, kinds)
				}
			}
			report(t, checkPods(objs, p.config, vs.v.opts.Registry == "gossip"))
			report(t, checkNames(objs))
			report(t, checkStatefulSet(objs))
			report(t, checkSQLiteSingle(objs, p))
			report(t, checkKEDA(objs))
			report(t, checkKEDAQueues(objs, p))
			report(t, checkIstio(objs, p))
			report(t, checkScaling(objs))
		})
	}
}

// checkNames: no two objects of a kind share a name, and the names of
// objects Kubernetes turns into DNS labels fit one.
func checkNames(objs []object) []string {
	var problems []string
	seen := map[string]string{}
	for _, o := range objs {
		key := o.gvk.Kind + "/" + o.name
		if prev, ok := seen[key]; ok {
			problems = append(problems, fmt.Sprintf("%s is rendered twice (%s and %s)", key, prev, o.source))
		}
		seen[key] = o.source
		if len(o.name) > 63 {
			problems = append(problems, fmt.Sprintf("%s: name longer than 63 characters", o))
		}
	}
	for _, cj := range byKind[*batchv1.CronJob](objs) {
		if len(cj.Name) > 52 {
			problems = append(problems, fmt.Sprintf("CronJob %s: name longer than 52 characters (the Jobs it creates append 11)", cj.Name))
		}
	}
	return problems
}

// checkScaling: an HPA and a ScaledObject target workloads that exist,
// and no workload gets both; a PDB selects the serve pods.
func checkScaling(objs []object) []string {
	var problems []string
	workloads := map[string]bool{}
	for _, d := range byKind[*appsv1.Deployment](objs) {
		workloads["Deployment/"+d.Name] = true
	}
	for _, s := range byKind[*appsv1.StatefulSet](objs) {
		workloads["StatefulSet/"+s.Name] = true
	}
	scaled := map[string]string{}
	for _, h := range byKind[*autoscalingv2.HorizontalPodAutoscaler](objs) {
		key := h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name
		if !workloads[key] {
			problems = append(problems, fmt.Sprintf("HPA %s scales %s, which is not rendered", h.Name, key))
		}
		scaled[key] = "HPA " + h.Name
	}
	for _, so := range byKind[*ScaledObject](objs) {
		ref := so.Spec.ScaleTargetRef
		kind := ref.Kind
		if kind == "" {
			kind = "Deployment"
		}
		key := kind + "/" + ref.Name
		if !workloads[key] {
			problems = append(problems, fmt.Sprintf("ScaledObject %s scales %s, which is not rendered", so.Name, key))
		}
		if by, ok := scaled[key]; ok {
			problems = append(problems, fmt.Sprintf("%s is scaled by both %s and ScaledObject %s", key, by, so.Name))
		}
	}
	for _, pdb := range byKind[*policyv1.PodDisruptionBudget](objs) {
		if pdb.Spec.Selector == nil || len(pdb.Spec.Selector.MatchLabels) == 0 {
			problems = append(problems, fmt.Sprintf("PDB %s selects nothing", pdb.Name))
		}
	}
	return problems
}

// checkKEDA: each ScaledObject's triggers carry what KEDA's scaler for
// its type reads, its authenticationRef names a rendered
// TriggerAuthentication, and the workload it scales has no fixed
// replicas for KEDA to fight with.
func checkKEDA(objs []object) []string {
	var problems []string
	auths := map[string]*TriggerAuthentication{}
	for _, ta := range byKind[*TriggerAuthentication](objs) {
		auths[ta.Name] = ta
	}
	deps := map[string]*appsv1.Deployment{}
	for _, d := range byKind[*appsv1.Deployment](objs) {
		deps[d.Name] = d
	}
	for _, so := range byKind[*ScaledObject](objs) {
		if slices.ContainsFunc(so.Spec.Triggers, func(tr ScaleTriggers) bool { return tr.Type == "prometheus" }) {
			problems = append(problems, checkScrapeable(objs, so.Name)...)
		}
		if len(so.Spec.Triggers) == 0 {
			problems = append(problems, fmt.Sprintf("ScaledObject %s has no trigger", so.Name))
		}
		if d, ok := deps[so.Spec.ScaleTargetRef.Name]; ok && d.Spec.Replicas != nil {
			problems = append(problems, fmt.Sprintf("ScaledObject %s scales Deployment %s, which also sets replicas %d: every helm upgrade resets what KEDA chose", so.Name, d.Name, *d.Spec.Replicas))
		}
		for _, tr := range so.Spec.Triggers {
			var params []string
			if tr.AuthenticationRef != nil {
				ta, ok := auths[tr.AuthenticationRef.Name]
				if !ok {
					problems = append(problems, fmt.Sprintf("ScaledObject %s: authenticationRef %s is not rendered", so.Name, tr.AuthenticationRef.Name))
				} else {
					for _, r := range ta.Spec.SecretTargetRef {
						params = append(params, r.Parameter)
					}
					for _, e := range ta.Spec.Env {
						params = append(params, e.Parameter)
					}
				}
			}
			for _, pr := range checkTrigger(tr, params) {
				problems = append(problems, fmt.Sprintf("ScaledObject %s: %s", so.Name, pr))
			}
		}
	}
	return problems
}

// checkIstio: the VirtualService routes to the rendered Service's ports,
// its timeout leaves gox's own request timeout to answer first, and mesh
// retries are off by default (gox clients retry).
func checkIstio(objs []object, p *project) []string {
	var problems []string
	svcPorts := map[string][]int32{}
	for _, s := range byKind[*corev1.Service](objs) {
		for _, sp := range s.Spec.Ports {
			svcPorts[s.Name] = append(svcPorts[s.Name], sp.Port)
		}
	}
	for _, vs := range byKind[*istionet.VirtualService](objs) {
		if gw := vs.Spec.GetGateways(); len(gw) > 0 && !slices.Contains(gw, "mesh") {
			problems = append(problems, fmt.Sprintf("VirtualService %s: gateways %v without mesh: callers inside the mesh lose its routing", vs.Name, gw))
		}
		for _, h := range vs.Spec.GetHttp() {
			for _, r := range h.GetRoute() {
				d := r.GetDestination()
				ports, ok := svcPorts[d.GetHost()]
				if !ok {
					problems = append(problems, fmt.Sprintf("VirtualService %s routes to host %s, which is no rendered Service", vs.Name, d.GetHost()))
					continue
				}
				if n := d.GetPort().GetNumber(); n != 0 && !slices.Contains(ports, int32(n)) {
					problems = append(problems, fmt.Sprintf("VirtualService %s routes to %s:%d, not a port of the Service (%v)", vs.Name, d.GetHost(), n, ports))
				}
			}
			if to := h.GetTimeout().AsDuration(); to != 0 && to <= p.Config.RequestTimeout {
				problems = append(problems, fmt.Sprintf("VirtualService %s route %s: timeout %s is not above app.request_timeout %s: the mesh answers 504 before gox's own deadline error", vs.Name, h.GetName(), to, p.Config.RequestTimeout))
			}
		}
	}
	for _, dr := range byKind[*istionet.DestinationRule](objs) {
		if _, ok := svcPorts[dr.Spec.GetHost()]; !ok {
			problems = append(problems, fmt.Sprintf("DestinationRule %s: host %s is no rendered Service", dr.Name, dr.Spec.GetHost()))
		}
	}
	return problems
}

// knownBugs are problems already reported to the lead (/tmp/gox/T-needs.md
// and the report), each matched by a substring: logged, not failed,
// so the rest of the suite stays a regression gate. Remove an entry once
// package deploy fixes it: the test then fails if it comes back.
//
// None is open: B1-B4 of the first report (a variable without a default
// left unset or read from an optional key, a SQLite service scaled out,
// KEDA's kafka trigger on loopback brokers) are fixed in package deploy
// and fail here if they come back (TestBadValuesRefused checks the
// refusals).
var knownBugs = []string{}

func report(t *testing.T, problems []string) {
	t.Helper()
	for _, pr := range problems {
		if slices.ContainsFunc(knownBugs, func(k string) bool { return strings.Contains(pr, k) }) {
			t.Logf("KNOWN, reported to the lead: %s", pr)
			continue
		}
		t.Error(pr)
	}
}

// checkSQLiteSingle: a SQLite database is a file in one pod, so the serve
// workload holding it runs one replica and nothing scales it out (each
// extra pod would get a database of its own).
func checkSQLiteSingle(objs []object, p *project) []string {
	var cfg struct {
		Database map[string]struct{ Driver string }
	}
	if err := yaml.Unmarshal([]byte(p.config), &cfg); err != nil || cfg.Database["default"].Driver != "sqlite" {
		return nil
	}
	var problems []string
	for _, d := range byKind[*appsv1.Deployment](objs) {
		if !slices.ContainsFunc(d.Spec.Template.Spec.Containers, isServe) {
			continue
		}
		if d.Spec.Replicas != nil && *d.Spec.Replicas > 1 {
			problems = append(problems, fmt.Sprintf("Deployment %s: %d replicas of a SQLite service: each pod has a database of its own", d.Name, *d.Spec.Replicas))
		}
		for _, h := range byKind[*autoscalingv2.HorizontalPodAutoscaler](objs) {
			if h.Spec.ScaleTargetRef.Name == d.Name && h.Spec.MaxReplicas > 1 {
				problems = append(problems, fmt.Sprintf("HPA %s scales the SQLite service %s up to %d pods: each pod has a database of its own", h.Name, d.Name, h.Spec.MaxReplicas))
			}
		}
	}
	return problems
}

// checkScrapeable: a prometheus trigger reads gox_queue_backlog, which
// only serve exports: its pods carry the prometheus.io annotations an
// annotation-based scrape config discovers them by.
func checkScrapeable(objs []object, scaledObject string) []string {
	var problems []string
	for _, p := range pods(objs) {
		if p.hook || !slices.ContainsFunc(p.spec.Containers, isServe) {
			continue
		}
		var ann map[string]string
		switch w := p.owner.obj.(type) {
		case *appsv1.Deployment:
			ann = w.Spec.Template.Annotations
		case *appsv1.StatefulSet:
			ann = w.Spec.Template.Annotations
		}
		if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/path"] != "/metrics" || ann["prometheus.io/port"] == "" {
			problems = append(problems, fmt.Sprintf("ScaledObject %s reads gox_queue_backlog from Prometheus, but %s's pods are not annotated for scraping (prometheus.io/*: %v)", scaledObject, p.owner, ann))
		}
	}
	return problems
}
