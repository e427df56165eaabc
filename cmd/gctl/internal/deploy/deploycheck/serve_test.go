package deploycheck

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestPlainManifestsEqualHelm: deploy/k8s, which gctl renders itself, is
// what Helm renders from deploy/chart with the default values (release =
// the binary's name): the same objects, compared decoded (field order,
// quoting, comments and document order aside).
func TestPlainManifestsEqualHelm(t *testing.T) {
	for _, v := range []variant{apiSQLite, rpcKafkaGossip, apiRabbit, apiNATS, ordersMySQL} {
		t.Run(v.name, func(t *testing.T) {
			p := scaffolded(t, v)
			docs, err := helmTemplate(p.chartDir, p.Binary, "default", nil)
			if err != nil {
				t.Fatalf("helm template: %v", err)
			}
			helm, problems := decodeAll(docs)
			plain, plainProblems := decodeAll(plainManifests(t, p.k8sDir))
			for _, pr := range slices.Concat(problems, plainProblems) {
				t.Errorf("does not decode strictly: %s", pr)
			}
			want, got := normalized(t, helm), normalized(t, plain)
			for _, k := range sortedKeys(want) {
				g, ok := got[k]
				if !ok {
					t.Errorf("%s: Helm renders it, deploy/k8s lacks it", k)
					continue
				}
				if !reflect.DeepEqual(want[k], g) {
					t.Errorf("%s differs from Helm's render:\n%s", k, jsonDiff(want[k], g))
				}
			}
			for _, k := range sortedKeys(got) {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: in deploy/k8s, not in Helm's render", k)
				}
			}
			if len(want) == 0 {
				t.Fatal("Helm rendered nothing")
			}
		})
	}
}

// normalized maps kind/name to the object as JSON values, the way the API
// server would store its fields.
func normalized(t *testing.T, objs []object) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, o := range objs {
		b, err := json.Marshal(o.obj)
		if err != nil {
			t.Fatalf("%s: %v", o, err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		out[o.gvk.Kind+"/"+o.name] = v
	}
	return out
}

// jsonDiff lists the paths where a and b differ.
func jsonDiff(a, b any) string {
	var out []string
	var walk func(p string, a, b any)
	walk = func(p string, a, b any) {
		am, aok := a.(map[string]any)
		bm, bok := b.(map[string]any)
		if aok && bok {
			keys := map[string]bool{}
			for k := range am {
				keys[k] = true
			}
			for k := range bm {
				keys[k] = true
			}
			ks := make([]string, 0, len(keys))
			for k := range keys {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			for _, k := range ks {
				walk(p+"."+k, am[k], bm[k])
			}
			return
		}
		as, aok := a.([]any)
		bs, bok := b.([]any)
		if aok && bok && len(as) == len(bs) {
			for i := range as {
				walk(fmt.Sprintf("%s[%d]", p, i), as[i], bs[i])
			}
			return
		}
		if !reflect.DeepEqual(a, b) {
			out = append(out, fmt.Sprintf("  %s: helm %v, deploy/k8s %v", p, short(a), short(b)))
		}
	}
	walk("", a, b)
	return strings.Join(out, "\n")
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

// serveContainer returns the serve container of the rendered serve
// workload.
func serveContainer(t *testing.T, objs []object) corev1.Container {
	t.Helper()
	for _, p := range pods(objs) {
		for _, c := range p.spec.Containers {
			if isServe(c) {
				return c
			}
		}
	}
	t.Fatal("no container runs serve")
	return corev1.Container{}
}

// TestProbesAnswer runs the built binary as the chart's serve container
// runs it (its args, the ConfigMap's config.yaml at the --config path,
// the variable the Secret provides) and GETs every probe path of the
// rendered pod: 200 or 503 (not ready), never 404. A path gox does not
// serve gets 404 from the same server, so the check can fail.
func TestProbesAnswer(t *testing.T) {
	p, objs := render(t, valueSets[1]) // existingSecret set
	c := serveContainer(t, objs)
	configPath, _ := splitArgs(c)
	var configText string
	for _, cm := range byKind[*corev1.ConfigMap](objs) {
		if cm.Name == p.Binary {
			configText = cm.Data["config.yaml"]
		}
	}
	if configText == "" {
		t.Fatalf("no ConfigMap %s with config.yaml", p.Binary)
	}
	s := serveBinary(t, configText, func(mount string) []string {
		var args []string
		for _, a := range c.Args {
			args = append(args, strings.ReplaceAll(a, path.Dir(configPath), mount))
		}
		return args
	}, []string{"MANAGEMENT_PASSWORD=from-the-secret"})
	get := func(p string) int {
		resp, err := http.Get("http://" + s.addr + p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("/no-such-probe"); code != http.StatusNotFound {
		t.Fatalf("GET /no-such-probe = %d, want 404: the probe check could not tell a missing route", code)
	}
	checked := 0
	for name, pr := range map[string]*corev1.Probe{"startupProbe": c.StartupProbe, "livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe} {
		if pr == nil || pr.HTTPGet == nil {
			continue
		}
		checked++
		if code := get(pr.HTTPGet.Path); code != http.StatusOK && code != http.StatusServiceUnavailable {
			t.Errorf("%s GET %s = %d, want 200 or 503", name, pr.HTTPGet.Path, code)
		}
	}
	if checked == 0 {
		t.Fatal("the serve container has no httpGet probe")
	}
	for _, pp := range probePaths {
		if code := get(pp); code != http.StatusOK {
			t.Errorf("GET %s = %d on a ready service, want 200", pp, code)
		}
	}
}

// TestCommandsExist: every container and CronJob of every value set runs
// a command the binary has: `<binary> <args> --help` exits 0 and its help
// is that command's (urfave/cli falls back to the parent's help for an
// unknown subcommand, which the second check catches). The binary is the
// apiSQLite project's; the other projects' commands come from the same
// scaffold templates (internal/cmd, internal/job).
func TestCommandsExist(t *testing.T) {
	bin := binary(t)
	if out, err := runHelp(bin, []string{"queue", "no-such-job"}); err == nil && helpOf(out, []string{"queue", "no-such-job"}) {
		t.Fatalf("an unknown command passes the check:\n%s", out)
	}
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			_, objs := render(t, vs)
			seen := map[string]bool{}
			for _, p := range pods(objs) {
				for _, c := range slices.Concat(p.spec.InitContainers, p.spec.Containers) {
					_, cmd := splitArgs(c)
					words := commandWords(cmd)
					key := strings.Join(cmd, " ")
					if seen[key] {
						continue
					}
					seen[key] = true
					out, err := runHelp(bin, cmd)
					if err != nil || !helpOf(out, words) {
						t.Errorf("%s container %s runs %q, which the binary does not have (%v):\n%s", p.owner, c.Name, key, err, out)
					}
				}
			}
			if len(seen) == 0 {
				t.Fatal("no container")
			}
		})
	}
}

// commandWords are the command path in args: the words before the first
// flag.
func commandWords(args []string) []string {
	i := slices.IndexFunc(args, func(a string) bool { return strings.HasPrefix(a, "-") })
	if i < 0 {
		return args
	}
	return args[:i]
}

// helpOf reports whether out is the help of the command words (urfave/cli
// prints "NAME:\n   <app> <words> - usage").
func helpOf(out string, words []string) bool {
	_, rest, ok := strings.Cut(out, "NAME:")
	if !ok {
		return false
	}
	name, _, _ := strings.Cut(strings.TrimSpace(rest), " - ")
	fields := strings.Fields(name)
	return len(fields) > len(words) && slices.Equal(fields[len(fields)-len(words):], words)
}
