package deploycheck

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	chartloader "helm.sh/helm/v4/pkg/chart/v2/loader"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"sigs.k8s.io/yaml"
)

// crdAPIs are the API versions of the custom resources the chart may
// render, announced to Helm as a cluster with KEDA and Istio installed
// would (a chart guarding them with .Capabilities.APIVersions.Has renders
// them then).
var crdAPIs = []string{
	"keda.sh/v1alpha1", "keda.sh/v1alpha1/ScaledObject", "keda.sh/v1alpha1/TriggerAuthentication",
	"networking.istio.io/v1", "networking.istio.io/v1/VirtualService", "networking.istio.io/v1/DestinationRule",
	"networking.istio.io/v1beta1", "networking.istio.io/v1alpha3",
}

// kubeVersion is the Kubernetes version `helm template` assumes with no
// cluster: the helm v4.3.2 CLI derives it from its client-go (v0.37 →
// 1.37). Helm's SDK assumes 1.20 inside a test binary, so it is set.
const kubeVersion = "v1.37.0"

// helmTemplate renders the chart at dir as `helm template` does, hooks
// included, with no cluster: action.Install with DryRunClient, which
// validates vals against values.schema.json first. The release is named
// release and installed into namespace.
func helmTemplate(dir, release, namespace string, vals map[string]any) ([]doc, error) {
	return helmTemplateOn(kubeVersion, dir, release, namespace, vals)
}

func helmTemplateOn(kube, dir, release, namespace string, vals map[string]any) ([]doc, error) {
	chrt, err := chartloader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	inst := action.NewInstall(action.NewConfiguration())
	inst.DryRunStrategy = action.DryRunClient
	inst.ReleaseName, inst.Namespace, inst.Replace = release, namespace, true
	inst.APIVersions = crdAPIs
	if inst.KubeVersion, err = common.ParseKubeVersion(kube); err != nil {
		return nil, err
	}
	r, err := inst.RunWithContext(context.Background(), chrt, vals)
	if err != nil {
		return nil, err
	}
	rel, ok := r.(*releasev1.Release)
	if !ok {
		return nil, fmt.Errorf("helm returned a %T, not a v1 release", r)
	}
	var docs []doc
	for _, text := range splitSorted(rel.Manifest) {
		docs = append(docs, newDoc(text))
	}
	for _, h := range rel.Hooks {
		for _, text := range splitSorted(h.Manifest) {
			d := newDoc(text)
			if d.source == "" {
				d.source = h.Path
			}
			docs = append(docs, d)
		}
	}
	return docs, nil
}

// splitSorted splits a multi-document manifest in document order
// (SplitManifests keys are manifest-0, manifest-1, ...; sorted as
// strings they would put manifest-10 before manifest-2).
func splitSorted(manifest string) []string {
	m := releaseutil.SplitManifests(manifest)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		var a, b int
		fmt.Sscanf(keys[i], "manifest-%d", &a)
		fmt.Sscanf(keys[j], "manifest-%d", &b)
		return a < b
	})
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if strings.TrimSpace(stripComments(m[k])) != "" {
			out = append(out, m[k])
		}
	}
	return out
}

// doc is one rendered Kubernetes document.
type doc struct {
	source string // the template (# Source: line) or file it came from
	text   string
}

func newDoc(text string) doc {
	d := doc{text: text}
	for _, line := range strings.Split(text, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "# Source: "); ok {
			d.source = s
			break
		}
	}
	return d
}

func stripComments(text string) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// plainManifests reads every document of the YAML files under dir
// (deploy/k8s), in file then document order.
func plainManifests(t testing.TB, dir string) []doc {
	t.Helper()
	var docs []doc
	err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || (!strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml")) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		for _, text := range splitSorted(string(b)) {
			docs = append(docs, doc{source: filepath.ToSlash(rel), text: text})
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read the plain manifests: %v", err)
	}
	if len(docs) == 0 {
		t.Fatalf("no manifests under %s", dir)
	}
	return docs
}

// values merges the YAML text of a value set (as a user passes it with
// -f) into a map.
func values(t testing.TB, text string) map[string]any {
	t.Helper()
	v := map[string]any{}
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("values %q: %v", text, err)
	}
	return v
}
