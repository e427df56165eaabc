package deploycheck

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The image's layout, from deploy/Dockerfile: the binary is
// /app/<binary>, run in WORKDIR /app, where it reads config.yaml unless
// --config or <PREFIX>_CONFIG says otherwise.
const imageWorkdir = "/app"

// ProbePaths are the routes gox serves for probes; TestProbesAnswer
// checks the built binary answers them.
var probePaths = []string{"/healthz", "/readyz"}

// pod is one pod template of a rendered workload.
type pod struct {
	owner  object
	labels map[string]string
	spec   corev1.PodSpec
	hook   bool // a Helm hook's (the migrate Job)
}

// pods returns the pod templates of every workload in objs.
func pods(objs []object) []pod {
	var out []pod
	for _, o := range objs {
		switch w := o.obj.(type) {
		case *appsv1.Deployment:
			out = append(out, pod{o, w.Spec.Template.Labels, w.Spec.Template.Spec, false})
		case *appsv1.StatefulSet:
			out = append(out, pod{o, w.Spec.Template.Labels, w.Spec.Template.Spec, false})
		case *batchv1.Job:
			out = append(out, pod{o, w.Spec.Template.Labels, w.Spec.Template.Spec, w.Annotations["helm.sh/hook"] != ""})
		case *batchv1.CronJob:
			out = append(out, pod{o, w.Spec.JobTemplate.Spec.Template.Labels, w.Spec.JobTemplate.Spec.Template.Spec, false})
		}
	}
	return out
}

// gox args: the command line after the binary, split into the global
// flags and the command (serve, queue <job>, ...).
func splitArgs(c corev1.Container) (configPath string, command []string) {
	args := slices.Concat(c.Command, c.Args)
	if len(c.Command) > 0 {
		args = args[1:] // the binary itself; else the image's ENTRYPOINT is
	}
	configPath = path.Join(imageWorkdir, "config.yaml")
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--config="), strings.HasPrefix(a, "-c="):
			configPath = a[strings.Index(a, "=")+1:]
		case a == "--config" || a == "-c":
			if i+1 < len(args) {
				configPath = args[i+1]
				i++
			}
		default:
			command = append(command, a)
		}
	}
	if !path.IsAbs(configPath) {
		wd := c.WorkingDir
		if wd == "" {
			wd = imageWorkdir
		}
		configPath = path.Join(wd, configPath)
	}
	return configPath, command
}

// isServe reports whether c runs serve.
func isServe(c corev1.Container) bool {
	_, cmd := splitArgs(c)
	return len(cmd) > 0 && cmd[0] == "serve"
}

// checkPods returns what a user would hit deploying objs for a service
// whose config.yaml is configText: config not where the binary reads it
// or not the project's, ports and probes not matching it, a drain cut
// short, a variable the service needs at start left unset. With gossip,
// the chart may rewrite registry.gossip.seeds and advertise_host.
func checkPods(objs []object, configText string, gossip bool) []string {
	var problems []string
	configMaps := map[string]map[string]string{}
	for _, cm := range byKind[*corev1.ConfigMap](objs) {
		configMaps[cm.Name] = cm.Data
	}
	for _, p := range pods(objs) {
		where := p.owner.String()
		vols := map[string]corev1.Volume{}
		for _, v := range p.spec.Volumes {
			vols[v.Name] = v
		}
		all := slices.Concat(p.spec.InitContainers, p.spec.Containers)
		serves := false
		// what the pod runs with: the mounted config.yaml (the project's
		// while none is mounted, which is reported)
		cfg, err := parseServiceConfig(configText)
		if err != nil {
			return append(problems, "the project's "+err.Error())
		}
		for _, c := range all {
			cw := fmt.Sprintf("%s container %s", where, c.Name)
			mounted, ps := checkConfigMount(cw, c, vols, configMaps, configText, gossip)
			problems = append(problems, ps...)
			if mounted != "" {
				if cfg, err = parseServiceConfig(mounted); err != nil {
					problems = append(problems, fmt.Sprintf("%s: the mounted config.yaml: %v", cw, err))
					continue
				}
			}
			problems = append(problems, checkEnv(cw, c, cfg)...)
			if isServe(c) {
				serves = true
				problems = append(problems, checkServePorts(cw, c, cfg)...)
			}
		}
		grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
		if p.spec.TerminationGracePeriodSeconds != nil {
			grace = *p.spec.TerminationGracePeriodSeconds
		}
		for _, c := range p.spec.Containers {
			need := cfg.stopTimeout + cfg.stopDelay
			var preStop time.Duration
			if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
				ps := c.Lifecycle.PreStop
				switch {
				case ps.Sleep != nil:
					preStop = time.Duration(ps.Sleep.Seconds) * time.Second
				case ps.Exec != nil:
					problems = append(problems, fmt.Sprintf("%s container %s: preStop runs %v, but the image (distroless/static) has no shell or sleep: use the sleep action", where, c.Name, ps.Exec.Command))
				}
			}
			if time.Duration(grace)*time.Second < need+preStop {
				problems = append(problems, fmt.Sprintf("%s container %s: terminationGracePeriodSeconds %d < preStop sleep %s + app.stop_delay %s + app.stop_timeout %s: the kubelet kills it mid-drain",
					where, c.Name, grace, preStop, cfg.stopDelay, cfg.stopTimeout))
			}
		}
		if serves && !p.hook {
			problems = append(problems, checkServiceSelects(objs, p)...)
		}
	}
	return problems
}

// checkConfigMount: the ConfigMap holding config.yaml is mounted as a
// directory (a subPath mount never sees the kubelet's updates, so the
// config watcher would never reload) at the directory of the path the
// binary reads, its config.yaml equals the project's, and the mount does
// not hide the binary. It returns the mounted config.yaml.
func checkConfigMount(where string, c corev1.Container, vols map[string]corev1.Volume, configMaps map[string]map[string]string, configText string, gossip bool) (string, []string) {
	configPath, _ := splitArgs(c)
	dir, file := path.Split(configPath)
	dir = path.Clean(dir)
	var problems []string
	found, mounted := false, ""
	for _, m := range c.VolumeMounts {
		v, ok := vols[m.Name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: volumeMount %s names no volume of the pod", where, m.Name))
			continue
		}
		if strings.HasPrefix(path.Join(imageWorkdir, "x"), path.Clean(m.MountPath)+"/") {
			problems = append(problems, fmt.Sprintf("%s: volume %s is mounted at %s, hiding the binary under %s", where, m.Name, m.MountPath, imageWorkdir))
		}
		if v.ConfigMap == nil || path.Clean(m.MountPath) != dir {
			continue
		}
		found = true
		if m.SubPath != "" {
			problems = append(problems, fmt.Sprintf("%s: config mounted with subPath %s: the kubelet never updates it, so config changes are never reloaded", where, m.SubPath))
		}
		key := file
		for _, it := range v.ConfigMap.Items {
			if it.Path == file {
				key = it.Key
			}
		}
		data, ok := configMaps[v.ConfigMap.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: ConfigMap %s is not rendered", where, v.ConfigMap.Name))
		case data[key] == "":
			problems = append(problems, fmt.Sprintf("%s: ConfigMap %s has no %s, which the binary reads as %s", where, v.ConfigMap.Name, key, configPath))
		default:
			mounted = data[key]
			if withoutGossipAddrs(configText, gossip) != withoutGossipAddrs(mounted, gossip) {
				problems = append(problems, fmt.Sprintf("%s: ConfigMap %s's %s differs from the project's config.yaml:\n%s", where, v.ConfigMap.Name, key,
					lineDiff(withoutGossipAddrs(configText, gossip), withoutGossipAddrs(mounted, gossip))))
			}
		}
	}
	if !found {
		problems = append(problems, fmt.Sprintf("%s: the binary reads %s, but no ConfigMap is mounted at %s", where, configPath, dir))
	}
	return mounted, problems
}

var gossipAddrLine = regexp.MustCompile(`^\s+(seeds|advertise_host):`)

// withoutGossipAddrs drops the two lines of registry.gossip the chart
// fills for its StatefulSet.
func withoutGossipAddrs(text string, gossip bool) string {
	if !gossip {
		return text
	}
	var keep []string
	for _, l := range strings.Split(text, "\n") {
		if !gossipAddrLine.MatchString(l) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// checkEnv: every variable config.yaml needs without a default is set,
// and not from an optional Secret key (a missing key would leave it unset
// and the service would not start).
func checkEnv(where string, c corev1.Container, cfg serviceConfig) []string {
	var problems []string
	for _, name := range cfg.needs {
		i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
		switch {
		case i < 0 && len(c.EnvFrom) == 0:
			problems = append(problems, fmt.Sprintf("%s: config.yaml needs ${%s} (no default) and the container does not set it: the service stops at start", where, name))
		case i >= 0 && c.Env[i].ValueFrom != nil && c.Env[i].ValueFrom.SecretKeyRef != nil &&
			c.Env[i].ValueFrom.SecretKeyRef.Optional != nil && *c.Env[i].ValueFrom.SecretKeyRef.Optional:
			problems = append(problems, fmt.Sprintf("%s: ${%s} has no default in config.yaml but comes from an optional Secret key: a missing key starts a pod that fails at start instead of one the kubelet reports (CreateContainerConfigError)", where, name))
		}
	}
	return problems
}

// checkServePorts: the container ports are config.yaml's, the probes hit
// the HTTP port's probe routes (or gRPC health on the gRPC port).
func checkServePorts(where string, c corev1.Container, cfg serviceConfig) []string {
	var problems []string
	ports := map[string]int32{}
	var numbers []int32
	for _, p := range c.Ports {
		if p.Protocol == "" || p.Protocol == corev1.ProtocolTCP {
			numbers = append(numbers, p.ContainerPort)
		}
		if p.Name != "" {
			ports[p.Name] = p.ContainerPort
		}
	}
	want := map[string]int{"http.addr": cfg.httpPort, "grpc.addr": cfg.grpcPort, "http.metrics.addr": cfg.metricsPort}
	for key, port := range want {
		if port != 0 && !slices.Contains(numbers, int32(port)) {
			problems = append(problems, fmt.Sprintf("%s: config.yaml's %s listens on %d, which is not a container port (%v)", where, key, port, numbers))
		}
	}
	resolve := func(p intstr.IntOrString) int32 {
		if p.Type == intstr.String {
			return ports[p.StrVal] // 0: no such port
		}
		return p.IntVal
	}
	for name, pr := range map[string]*corev1.Probe{"startupProbe": c.StartupProbe, "livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe} {
		switch {
		case pr == nil:
			problems = append(problems, fmt.Sprintf("%s: no %s", where, name))
		case pr.HTTPGet != nil:
			if got := resolve(pr.HTTPGet.Port); got != int32(cfg.httpPort) {
				problems = append(problems, fmt.Sprintf("%s: %s hits port %s (= %d), not http.addr's %d", where, name, pr.HTTPGet.Port.String(), got, cfg.httpPort))
			}
			if !slices.Contains(probePaths, pr.HTTPGet.Path) {
				problems = append(problems, fmt.Sprintf("%s: %s GETs %s, which gox does not serve (%v)", where, name, pr.HTTPGet.Path, probePaths))
			}
		case pr.GRPC != nil:
			if cfg.grpcPort == 0 || pr.GRPC.Port != int32(cfg.grpcPort) {
				problems = append(problems, fmt.Sprintf("%s: %s asks gRPC health on %d, not grpc.addr's %d", where, name, pr.GRPC.Port, cfg.grpcPort))
			}
		default:
			problems = append(problems, fmt.Sprintf("%s: %s is neither httpGet nor grpc", where, name))
		}
	}
	if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		problems = append(problems, fmt.Sprintf("%s: readinessProbe GETs %s: only /readyz turns false while gox drains", where, c.ReadinessProbe.HTTPGet.Path))
	}
	return problems
}

// checkServiceSelects: every Service selecting the serve pods targets
// ports those pods' containers declare, with the numbers config.yaml
// listens on behind them.
func checkServiceSelects(objs []object, p pod) []string {
	var problems []string
	ports := map[string]corev1.ContainerPort{}
	for _, c := range p.spec.Containers {
		for _, cp := range c.Ports {
			ports[cp.Name] = cp
			ports[fmt.Sprint(cp.ContainerPort)] = cp
		}
	}
	selected := 0
	for _, svc := range byKind[*corev1.Service](objs) {
		if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(p.labels)) {
			continue
		}
		selected++
		for _, sp := range svc.Spec.Ports {
			tp := sp.TargetPort.String()
			if sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal == 0 {
				tp = fmt.Sprint(sp.Port) // targetPort defaults to port
			}
			cp, ok := ports[tp]
			if !ok {
				problems = append(problems, fmt.Sprintf("Service %s port %s: targetPort %s is no port of %s's containers", svc.Name, sp.Name, tp, p.owner))
				continue
			}
			if cp.Protocol != "" && sp.Protocol != "" && cp.Protocol != sp.Protocol {
				problems = append(problems, fmt.Sprintf("Service %s port %s: %s, but the container port %s is %s", svc.Name, sp.Name, sp.Protocol, tp, cp.Protocol))
			}
		}
	}
	if selected == 0 {
		problems = append(problems, fmt.Sprintf("no Service selects the pods of %s", p.owner))
	}
	return problems
}

// lineDiff lists the lines of b not in a and of a not in b.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for _, l := range al {
		if !slices.Contains(bl, l) {
			out = append(out, "  - "+l)
		}
	}
	for _, l := range bl {
		if !slices.Contains(al, l) {
			out = append(out, "  + "+l)
		}
	}
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("  ... %d more", len(out)-20))
	}
	return strings.Join(out, "\n")
}

// checkStatefulSet: the gossip StatefulSet's serviceName is a rendered
// headless Service selecting its pods and publishing them before they are
// ready (members must find each other to become ready), and the gossip
// seed is its pod 0 under that Service's DNS name.
func checkStatefulSet(objs []object) []string {
	var problems []string
	svcs := map[string]*corev1.Service{}
	for _, s := range byKind[*corev1.Service](objs) {
		svcs[s.Name] = s
	}
	for _, sts := range byKind[*appsv1.StatefulSet](objs) {
		svc, ok := svcs[sts.Spec.ServiceName]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("StatefulSet %s: serviceName %s is not rendered", sts.Name, sts.Spec.ServiceName))
			continue
		case svc.Spec.ClusterIP != corev1.ClusterIPNone:
			problems = append(problems, fmt.Sprintf("StatefulSet %s: Service %s is not headless: pods get no DNS names", sts.Name, svc.Name))
		case !svc.Spec.PublishNotReadyAddresses:
			problems = append(problems, fmt.Sprintf("StatefulSet %s: Service %s does not publish unready pods: gossip members cannot find each other before they are ready", sts.Name, svc.Name))
		}
		if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(sts.Spec.Template.Labels)) {
			problems = append(problems, fmt.Sprintf("StatefulSet %s: Service %s does not select its pods", sts.Name, svc.Name))
		}
		for _, c := range sts.Spec.Template.Spec.Containers {
			for _, e := range c.Env {
				if e.Name == "GOSSIP_SEED" && !strings.HasPrefix(e.Value, sts.Name+"-0."+svc.Name+".") {
					problems = append(problems, fmt.Sprintf("StatefulSet %s: GOSSIP_SEED %s is not pod 0 (%s-0.%s...)", sts.Name, e.Value, sts.Name, svc.Name))
				}
			}
		}
	}
	return problems
}
