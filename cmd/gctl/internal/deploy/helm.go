package deploy

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"sigs.k8s.io/yaml"
)

// The chart's templates are Helm templates, embedded as they are. gctl
// renders the plain manifests from them itself, with Go's text/template
// and the few Helm and sprig functions below, each written to behave as
// Helm v4's for the arguments the chart passes: the plain manifests are
// what `helm template` prints with the chart's default values, and
// deploycheck asserts that with Helm's own engine. A chart template that
// needs another function fails to render here with the function named.

// helmFuncs are the functions the chart's templates may use; include is
// bound to the template set by renderChart.
func helmFuncs() template.FuncMap {
	return template.FuncMap{
		"toYaml":         toYAML,
		"nindent":        nindent,
		"indent":         indent,
		"quote":          quote,
		"default":        dfault,
		"empty":          empty,
		"required":       required,
		"fail":           fail,
		"trunc":          trunc,
		"trimSuffix":     func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
		"replace":        func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
		"lower":          strings.ToLower,
		"regexQuoteMeta": regexp.QuoteMeta,
		"toString":       strval,
		"dict":           dict,
		"list":           func(v ...any) []any { return v },
		"hasKey":         func(m map[string]any, k string) bool { _, ok := m[k]; return ok },
		"has":            has,
		"append":         push,
		"set":            func(d map[string]any, k string, v any) map[string]any { d[k] = v; return d },
		"join":           join,
		"int":            toInt,
		"add":            add,
		"ternary":        func(t, f any, cond bool) any { return map[bool]any{true: t, false: f}[cond] },
		"include":        func(string, any) (string, error) { return "", errors.New("include is bound at render time") },
	}
}

// toYAML is Helm's toYaml: sigs.k8s.io/yaml (JSON field order, sorted map
// keys), the final newline trimmed, an error rendered as nothing.
func toYAML(v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

func indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

func nindent(n int, s string) string { return "\n" + indent(n, s) }

// strval is sprig's: strings as they are, everything else as %v.
func strval(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case error:
		return v.Error()
	case fmt.Stringer:
		return v.String()
	default:
		return fmt.Sprintf("%v", v)
	}
}

func quote(v ...any) string {
	out := make([]string, 0, len(v))
	for _, s := range v {
		if s != nil {
			out = append(out, fmt.Sprintf("%q", strval(s)))
		}
	}
	return strings.Join(out, " ")
}

// empty is sprig's: nil, zero numbers, false, and empty strings, maps and
// slices are empty.
func empty(v any) bool {
	r := reflect.ValueOf(v)
	if !r.IsValid() {
		return true
	}
	switch r.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return r.Len() == 0
	case reflect.Bool:
		return !r.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return r.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return r.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return r.Float() == 0
	case reflect.Struct:
		return false
	default:
		return r.IsNil()
	}
}

func dfault(d any, given ...any) any {
	if len(given) == 0 || empty(given[0]) {
		return d
	}
	return given[0]
}

// required is Helm's: nil and "" fail the render with msg.
func required(msg string, v any) (any, error) {
	if v == nil {
		return v, errors.New(msg)
	}
	if s, ok := v.(string); ok && s == "" {
		return v, errors.New(msg)
	}
	return v, nil
}

func fail(msg string) (string, error) { return "", errors.New(msg) }

func trunc(n int, s string) string {
	if n < 0 && len(s)+n > 0 {
		return s[len(s)+n:]
	}
	if n >= 0 && len(s) > n {
		return s[:n]
	}
	return s
}

func dict(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		k := strval(kv[i])
		if i+1 >= len(kv) {
			m[k] = ""
			continue
		}
		m[k] = kv[i+1]
	}
	return m
}

// has is sprig's: whether the list haystack holds needle (a nil list
// holds nothing); Helm fails the render on a haystack that is no list.
func has(needle, haystack any) (bool, error) {
	if haystack == nil {
		return false, nil
	}
	r := reflect.ValueOf(haystack)
	if r.Kind() != reflect.Slice && r.Kind() != reflect.Array {
		return false, fmt.Errorf("cannot find has on type %s", r.Type())
	}
	for i := range r.Len() {
		if reflect.DeepEqual(needle, r.Index(i).Interface()) {
			return true, nil
		}
	}
	return false, nil
}

// push is sprig's append: a new list, list's items then v.
func push(list, v any) ([]any, error) {
	r := reflect.ValueOf(list)
	if !r.IsValid() || r.Kind() != reflect.Slice && r.Kind() != reflect.Array {
		return nil, fmt.Errorf("cannot push on type %T", list)
	}
	out := make([]any, 0, r.Len()+1)
	for i := range r.Len() {
		out = append(out, r.Index(i).Interface())
	}
	return append(out, v), nil
}

// join is sprig's: the items of a list (nil ones left out) as strings,
// sep between them; anything else as one string.
func join(sep string, v any) string {
	r := reflect.ValueOf(v)
	if !r.IsValid() {
		return ""
	}
	if r.Kind() != reflect.Slice && r.Kind() != reflect.Array {
		return strval(v)
	}
	out := make([]string, 0, r.Len())
	for i := range r.Len() {
		if x := r.Index(i).Interface(); x != nil {
			out = append(out, strval(x))
		}
	}
	return strings.Join(out, sep)
}

// toInt converts the numbers values hold (float64 from YAML) as sprig's
// int does; anything else is 0.
func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	case bool:
		if n {
			return 1
		}
	}
	return 0
}

func add(v ...any) int64 {
	var s int64
	for _, x := range v {
		s += int64(toInt(x))
	}
	return s
}

// release is what a chart's templates see of a Helm release.
type release struct {
	Name      string
	Namespace string
}

// renderChart executes the chart's templates (name → text; names starting
// with "_" define helpers only) with values as Helm does for an install of
// release: missing keys are empty, and each template's output is one
// entry of the result keyed by its name. Templates rendering to blanks
// are left out.
func renderChart(chartName, appVersion string, tmpls map[string]string, values map[string]any, rel release) (map[string]string, error) {
	t := template.New("chart").Option("missingkey=zero").Funcs(helmFuncs())
	names := make([]string, 0, len(tmpls))
	for n := range tmpls {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := t.New(n).Parse(tmpls[n]); err != nil {
			return nil, fmt.Errorf("chart template %s: %w", n, err)
		}
	}
	t.Funcs(template.FuncMap{"include": func(name string, data any) (string, error) {
		var b strings.Builder
		err := t.ExecuteTemplate(&b, name, data)
		return b.String(), err
	}})
	top := map[string]any{
		"Values":  values,
		"Release": map[string]any{"Name": rel.Name, "Namespace": rel.Namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
		"Chart":   map[string]any{"Name": chartName, "Version": ChartVersion, "AppVersion": appVersion},
	}
	out := map[string]string{}
	for _, n := range names {
		if strings.HasPrefix(n[strings.LastIndex(n, "/")+1:], "_") {
			continue
		}
		var b strings.Builder
		if err := t.ExecuteTemplate(&b, n, top); err != nil {
			return nil, fmt.Errorf("chart template %s: %w", n, err)
		}
		s := strings.ReplaceAll(b.String(), "<no value>", "")
		if strings.TrimSpace(s) != "" {
			out[n] = s
		}
	}
	return out, nil
}
