package deploycheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

// queue is a topic and consumer group a consumer reads.
type queue struct{ topic, group string }

// projectQueues reads, independently of package deploy, what each
// consumer command of p consumes: `event listen` reads event.topic as
// event.group (app.name when empty), from config.yaml; `queue <job>` the
// Topic and Options.Group literals of internal/job/job.go (the scaffold's
// shape: a const topic, a string group).
func projectQueues(p *project) (map[string][]queue, error) {
	var cfg struct {
		App   struct{ Name string }
		Event struct{ Topic, Group string }
	}
	if err := yaml.Unmarshal([]byte(p.config), &cfg); err != nil {
		return nil, err
	}
	group := expandDefaults(cfg.Event.Group)
	if group == "" {
		group = expandDefaults(cfg.App.Name)
	}
	out := map[string][]queue{"event listen": {{expandDefaults(cfg.Event.Topic), group}}}
	src, err := os.ReadFile(filepath.Join(p.dir, "internal", "job", "job.go"))
	if err != nil {
		return nil, err
	}
	consts := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(?:const\s+)?(\w+)\s*=\s*"([^"]*)"`).FindAllStringSubmatch(string(src), -1) {
		consts[m[1]] = m[2]
	}
	jobRE := regexp.MustCompile(`(?s)"([\w-]+)":\s*\{\s*\{\s*Topic:\s*(\w+|"[^"]*"),.*?Group:\s*"([^"]*)"`)
	for _, m := range jobRE.FindAllStringSubmatch(string(src), -1) {
		topic := strings.Trim(m[2], `"`)
		if v, ok := consts[m[2]]; ok {
			topic = v
		}
		out["queue "+m[1]] = append(out["queue "+m[1]], queue{topic, m[3]})
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("no job found in internal/job/job.go")
	}
	return out, nil
}

var natsName = strings.NewReplacer(".", "_", "*", "_", ">", "_", " ", "_", "/", "_", "\\", "_")

// triggerQueue is what a trigger watches, in the backend's own names: a
// Kafka topic and group, a RabbitMQ queue (contrib/broker/rabbitmq:
// <prefix>.<topic>.<group>), a JetStream stream and durable consumer
// (contrib/broker/nats: GOX_<topic>, the group with . * > space / \ as _),
// or the gox_queue_backlog series of the database queue.
func triggerQueue(tr ScaleTriggers, q queue, rabbitPrefix string) (want, got string) {
	m := tr.Metadata
	switch tr.Type {
	case "kafka":
		return q.topic + "/" + q.group, m["topic"] + "/" + m["consumerGroup"]
	case "rabbitmq":
		return rabbitPrefix + "." + q.topic + "." + q.group, m["queueName"]
	case "nats-jetstream":
		return "GOX_" + natsName.Replace(q.topic) + "/" + natsName.Replace(q.group), m["stream"] + "/" + m["consumer"]
	case "prometheus":
		ok := strings.Contains(m["query"], fmt.Sprintf("topic=%q", q.topic)) && strings.Contains(m["query"], q.group)
		if ok {
			return "topic " + q.topic + " group " + q.group, "topic " + q.topic + " group " + q.group
		}
		return "topic " + q.topic + " group " + q.group, m["query"]
	}
	return tr.Type, "unknown"
}

// checkKEDAQueues: each ScaledObject's triggers watch exactly the queues
// the workload it scales consumes, so KEDA scales on the backlog that
// workload drains (a wrong name scales on an empty queue: never).
func checkKEDAQueues(objs []object, p *project) []string {
	var problems []string
	want, err := projectQueues(p)
	if err != nil {
		return []string{err.Error()}
	}
	var cfg struct {
		Queue struct {
			Rabbitmq struct{ Prefix string }
		}
	}
	yaml.Unmarshal([]byte(p.config), &cfg)
	prefix := cfg.Queue.Rabbitmq.Prefix
	if prefix == "" {
		prefix = "gox"
	}
	deps := map[string]*appsv1.Deployment{}
	for _, d := range byKind[*appsv1.Deployment](objs) {
		deps[d.Name] = d
	}
	for _, so := range byKind[*ScaledObject](objs) {
		d, ok := deps[so.Spec.ScaleTargetRef.Name]
		if !ok || len(d.Spec.Template.Spec.Containers) != 1 {
			problems = append(problems, fmt.Sprintf("ScaledObject %s: scales %s, not a one-container consumer Deployment", so.Name, so.Spec.ScaleTargetRef.Name))
			continue
		}
		_, cmd := splitArgs(d.Spec.Template.Spec.Containers[0])
		key := strings.Join(commandWords(cmd), " ")
		qs, ok := want[key]
		if !ok {
			problems = append(problems, fmt.Sprintf("ScaledObject %s scales %s, which runs %q: not a consumer of the project (%v)", so.Name, d.Name, key, sortedKeys(want)))
			continue
		}
		if len(so.Spec.Triggers) != len(qs) {
			problems = append(problems, fmt.Sprintf("ScaledObject %s: %d triggers for the %d queues %q consumes", so.Name, len(so.Spec.Triggers), len(qs), key))
		}
		for _, q := range qs {
			var gots []string
			found := slices.ContainsFunc(so.Spec.Triggers, func(tr ScaleTriggers) bool {
				w, g := triggerQueue(tr, q, prefix)
				gots = append(gots, g)
				return w == g
			})
			if !found {
				w, _ := triggerQueue(so.Spec.Triggers[0], q, prefix)
				problems = append(problems, fmt.Sprintf("ScaledObject %s: %q consumes %s (topic %s, group %s); the triggers watch %q", so.Name, key, w, q.topic, q.group, gots))
			}
		}
	}
	return problems
}
