package deploy

import (
	"bytes"
	"fmt"
	"io/fs"
	"net"
	"path"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"time"

	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"

	"github.com/goxkit/gox/cmd/gctl/internal/genfile"
)

// AppVersion is the chart's appVersion, the image tag used while
// image.tag is empty.
const AppVersion = "latest"

// chartData is what the chart's gctl templates (Chart.yaml, values.yaml,
// README.md) are rendered from.
type chartData struct {
	P                   *Project
	ChartVersion        string
	AppVersion          string
	Drain               Drain
	Margin              string
	PreStop, Grace      int
	Replicas            int
	ConfigIndented      string
	Consumers           []Consumer
	Trigger             string
	KafkaBrokers        string
	MeshTimeout         string
	DataPath            string
	Liveness, Readiness string
	ValueDocs           []valueDoc
}

func newChartData(p *Project) *chartData {
	d := p.Drain()
	cfg, ok := p.ChartConfig()
	if !ok {
		p.Warnings = append(p.Warnings, "registry.gossip sets seeds or advertise_host: the chart keeps them; for the StatefulSet use seeds "+
			`["${GOSSIP_SEED}"] and advertise_host "${GOSSIP_ADVERTISE_HOST}", which the chart sets`)
	}
	cd := &chartData{
		P: p, ChartVersion: ChartVersion, AppVersion: AppVersion, Drain: d, Margin: DrainMargin.String(),
		PreStop: int(d.PreStopSleep / time.Second), Grace: int(d.Grace / time.Second), Replicas: 2,
		ConfigIndented: indent(4, strings.TrimRight(cfg, "\n")), Consumers: p.Consumers(), Trigger: p.KEDATrigger(),
		KafkaBrokers: kafkaBrokers(p.ConfigText), MeshTimeout: (p.Config.RequestTimeout + time.Second).String(),
		Liveness: LivenessPath, Readiness: ReadinessPath,
	}
	if p.Colocated() {
		cd.Replicas = 1
	}
	if p.DataDir != "" {
		cd.DataPath = "/app/" + p.DataDir
	}
	return cd
}

var kafkaBrokersRE = regexp.MustCompile(`(?m)^\s+brokers:\s*\[(.*)\]`)

// kafkaBrokers is queue.kafka.brokers as a comma-separated list, their
// ${VAR:-default} defaults taken and loopback addresses (the development
// default, 127.0.0.1:9092) left out: KEDA's operator runs in a pod of its
// own and would ask itself. "" when none is left: the chart then requires
// keda.kafka.bootstrapServers with keda.enabled.
func kafkaBrokers(cfg string) string {
	m := kafkaBrokersRE.FindStringSubmatch(cfg)
	if m == nil {
		return ""
	}
	var out []string
	for _, b := range strings.Split(m[1], ",") {
		if b = strings.Trim(strings.TrimSpace(expand(b)), `"'`); b != "" && !loopback(b) {
			out = append(out, b)
		}
	}
	return strings.Join(out, ",")
}

// loopback reports whether the broker address addr (host or host:port)
// names the host it is used on.
func loopback(addr string) bool {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// chartFiles are the gctl templates of the chart, rendered from chartData.
var chartFiles = []struct{ name, tmpl string }{
	{"Chart.yaml", "Chart.yaml.tmpl"},
	{"values.yaml", "values.yaml.tmpl"},
	{"README.md", "README.md.tmpl"},
}

// renderChartFiles returns the chart under deploy/chart/ and the plain
// manifests under deploy/k8s/.
func renderChartFiles(p *Project) ([]genfile.File, error) {
	t, err := template.New("").Option("missingkey=error").Funcs(template.FuncMap{
		"join": func(s []string) string { return strings.Join(s, " ") },
	}).ParseFS(templates, "templates/chart/*.tmpl")
	if err != nil {
		return nil, err
	}
	cd := newChartData(p)
	out := map[string][]byte{}
	for _, f := range chartFiles {
		if f.name == "README.md" {
			if cd.ValueDocs, err = valueDocs(out["values.yaml"]); err != nil {
				return nil, fmt.Errorf("deploy/chart/values.yaml: %w", err)
			}
		}
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, f.tmpl, cd); err != nil {
			return nil, fmt.Errorf("render deploy/chart/%s: %w", f.name, err)
		}
		out[f.name] = b.Bytes()
	}
	schema, err := fs.ReadFile(templates, "templates/chart/values.schema.json")
	if err != nil {
		return nil, err
	}
	tmpls, err := ChartTemplates()
	if err != nil {
		return nil, err
	}
	var files []genfile.File
	for _, f := range chartFiles {
		files = append(files, chartFile("deploy/chart/"+f.name, out[f.name], 0))
	}
	files = append(files, chartFile("deploy/chart/values.schema.json", schema, 1))
	names := make([]string, 0, len(tmpls))
	for n := range tmpls {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := chartFile("deploy/chart/templates/"+n, []byte(tmpls[n]), 0)
		tmpls[n] = string(f.Data) // rendered as written, header included
		files = append(files, f)
	}
	plain, err := PlainManifests(p.Binary, out["values.yaml"], tmpls)
	if err != nil {
		return nil, err
	}
	for _, f := range plain {
		files = append(files, chartFile(f.Name, f.Data, 0))
	}
	return files, nil
}

func chartFile(name string, body []byte, at int) genfile.File {
	return genfile.File{Name: name, Data: stamp(body, at, name)}
}

// ChartTemplates are the chart's templates/ files as gctl embeds them
// (verbatim Helm templates), by file name.
func ChartTemplates() (map[string]string, error) {
	out := map[string]string{}
	entries, err := fs.ReadDir(templates, "templates/chart/templates")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := fs.ReadFile(templates, "templates/chart/templates/"+e.Name())
		if err != nil {
			return nil, err
		}
		out[e.Name()] = string(b)
	}
	return out, nil
}

// kindFiles name the plain manifest file of each kind; other kinds go to
// <kind>.yaml.
var kindFiles = map[string]string{
	"PodDisruptionBudget": "pdb", "HorizontalPodAutoscaler": "hpa",
	"ScaledObject": "keda", "TriggerAuthentication": "keda",
	"VirtualService": "istio", "DestinationRule": "istio",
}

var docSep = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// PlainManifests renders the chart's templates (tmpls, by file name) with
// values (the text of values.yaml) for a release named chartName in no
// namespace, as `helm template` would, and groups the objects into one
// file per kind under deploy/k8s/ (deployment.yaml, service.yaml ...),
// in template order.
func PlainManifests(chartName string, values []byte, tmpls map[string]string) ([]genfile.File, error) {
	var vals map[string]any
	if err := yaml.Unmarshal(values, &vals); err != nil {
		return nil, fmt.Errorf("values.yaml: %w", err)
	}
	named := map[string]string{}
	for n, t := range tmpls {
		named[chartName+"/templates/"+n] = t
	}
	rendered, err := renderChart(chartName, AppVersion, named, vals, release{Name: chartName})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(rendered))
	for n := range rendered {
		names = append(names, n)
	}
	sort.Strings(names)
	byFile := map[string][]string{}
	var order []string
	for _, n := range names {
		for _, doc := range docSep.Split(rendered[n], -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var head struct {
				Kind string `json:"kind"`
			}
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil || head.Kind == "" {
				return nil, fmt.Errorf("chart template %s renders a document that is not a Kubernetes object (%v):\n%s", path.Base(n), err, doc)
			}
			f := kindFiles[head.Kind]
			if f == "" {
				f = strings.ToLower(head.Kind)
			}
			f = "deploy/k8s/" + f + ".yaml"
			if _, ok := byFile[f]; !ok {
				order = append(order, f)
			}
			byFile[f] = append(byFile[f], strings.TrimRight(doc, " \n")+"\n")
		}
	}
	sort.Strings(order)
	var files []genfile.File
	for _, f := range order {
		files = append(files, genfile.File{Name: f, Data: []byte(strings.Join(byFile[f], "---\n"))})
	}
	return files, nil
}

// valueDoc is a value of the chart and its comment, for the README.
type valueDoc struct{ Key, Doc string }

// valueDocs lists the values of values.yaml with their line comments, the
// keys of config.content and of consumers' entries left out.
func valueDocs(values []byte) ([]valueDoc, error) {
	var root yaml3.Node
	if err := yaml3.Unmarshal(values, &root); err != nil {
		return nil, err
	}
	if len(root.Content) == 0 {
		return nil, nil
	}
	var out []valueDoc
	var walk func(n *yaml3.Node, prefix string)
	walk = func(n *yaml3.Node, prefix string) {
		if n.Kind != yaml3.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := prefix + k.Value
			doc := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(k.LineComment+" "+v.LineComment), "#"))
			if v.Kind == yaml3.MappingNode && key != "consumers" && len(v.Content) > 0 {
				if doc != "" {
					out = append(out, valueDoc{key, escapeCell(doc)})
				}
				walk(v, key+".")
				continue
			}
			if doc == "" {
				doc = strings.TrimSpace(strings.ReplaceAll(strings.TrimPrefix(k.HeadComment, "#"), "\n#", ""))
				if i := strings.IndexByte(doc, '.'); i > 0 {
					doc = doc[:i+1]
				}
			}
			out = append(out, valueDoc{key, escapeCell(doc)})
		}
	}
	walk(root.Content[0], "")
	return out, nil
}

func escapeCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
