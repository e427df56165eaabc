package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The expected values are what Helm v4's engine and sprig v3 give for the
// same calls.
func TestHelmFuncs(t *testing.T) {
	vals := map[string]any{"n": 8080.0, "s": "a b", "empty": "", "m": map[string]any{"b": []any{"x"}, "a": 1.5}, "no": false}
	for _, c := range []struct{ tmpl, want string }{
		{`{{ .n }}`, "8080"},
		{`{{ int .n }}`, "8080"},
		{`{{ .s | quote }}`, `"a b"`},
		{`{{ quote .n }}`, `"8080"`},
		{`{{ .empty | default "d" }}`, "d"},
		{`{{ .no | default true }}`, "true"},
		{`{{ .missing | default "d" }}`, "d"},
		{`[{{ .missing }}]`, "[]"},
		{`{{ toYaml .m }}`, "a: 1.5\nb:\n- x"},
		{`x:{{ toYaml .m | nindent 2 }}`, "x:\n  a: 1.5\n  b:\n  - x"},
		{`{{ indent 2 "a\nb" }}`, "  a\n  b"},
		{`{{ "abcdef-" | trunc 7 | trimSuffix "-" }}`, "abcdef"},
		{`{{ trunc 3 "abcdef" }}|{{ trunc -2 "abcdef" }}`, "abc|ef"},
		{`{{ ternary "y" "n" true }}{{ ternary "y" "n" false }}`, "yn"},
		{`{{ "a.b*c" | replace "." "_" | replace "*" "_" }}`, "a_b_c"},
		{`{{ $d := dict "k" 1 "j" }}{{ $d.k }}{{ $d.j }}`, "1"},
		{`{{ len (list 1 2 3) }}`, "3"},
		{`{{ if empty .m }}e{{ else }}f{{ end }}{{ if empty 0.0 }}z{{ end }}`, "fz"},
		{`{{ add 1 .n }}`, "8081"},
		{`{{ hasKey .m "a" }}`, "true"},
		{`{{ has "x" .m.b }}{{ has "y" .m.b }}{{ has "x" .missing }}`, "truefalsefalse"},
		{`{{ toYaml (append .m.b "z") }}|{{ len .m.b }}`, "- x\n- z|1"},
		{`{{ $d := dict "a" 1 }}{{ $_ := set $d "b" "c" }}{{ toYaml $d }}`, "a: 1\nb: c"},
		{`{{ join ", " (list "a" 1 "b") }}|{{ join "," .s }}`, "a, 1, b|a b"},
		{`{{ include "h" .s }}`, "<a b>"},
	} {
		out, err := renderChart("c", "1", map[string]string{"c/templates/_h.tpl": `{{- define "h" -}}<{{ . }}>{{- end -}}`, "c/templates/t.yaml": "{{with .Values}}" + c.tmpl + "{{end}}"}, vals, release{Name: "r"})
		if err != nil {
			t.Errorf("%s: %v", c.tmpl, err)
			continue
		}
		if got := out["c/templates/t.yaml"]; got != c.want {
			t.Errorf("%s = %q, want %q", c.tmpl, got, c.want)
		}
	}
	_, err := renderChart("c", "1", map[string]string{"c/templates/t.yaml": `{{ required "x.y is needed" .Values.empty }}`}, vals, release{Name: "r"})
	if err == nil || !strings.Contains(err.Error(), "x.y is needed") {
		t.Errorf("required: %v", err)
	}
	_, err = renderChart("c", "1", map[string]string{"c/templates/t.yaml": `{{ sha256sum "x" }}`}, vals, release{Name: "r"})
	if err == nil || !strings.Contains(err.Error(), "sha256sum") {
		t.Errorf("an unknown function must be named: %v", err)
	}
}

func TestParseJobs(t *testing.T) {
	dir := t.TempDir()
	src := "package job\n\nconst T = \"orders\"\n\nfunc Consumers(l any) map[string][]Consumer {\n\treturn map[string][]Consumer{\n" +
		"\t\t\"mail\": {{Topic: T, Options: broker.ConsumerOptions{Group: \"mailer\"}}, {Topic: \"b\", Options: broker.ConsumerOptions{Group: \"g2\"}}},\n" +
		"\t\t\"audit\": {{Topic: \"x\"}},\n\t}\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "job.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	jobs, err := ParseJobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].Name != "audit" || jobs[1].Name != "mail" || len(jobs[1].Consumers) != 2 ||
		jobs[1].Consumers[0] != (JobConsumer{"orders", "mailer"}) || jobs[0].Consumers[0] != (JobConsumer{"x", ""}) {
		t.Fatalf("%+v", jobs)
	}
	if err := os.WriteFile(filepath.Join(dir, "job.go"), []byte("package job\n\nfunc Consumers() map[string]int { return map[string]int{\"Bad Name\": 1} }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseJobs(dir); err == nil || !strings.Contains(err.Error(), "job.go:3") {
		t.Errorf("a bad job name must name the file and line: %v", err)
	}
	if _, err := ParseJobs(filepath.Join(dir, "none")); err == nil || !strings.Contains(err.Error(), "none") {
		t.Errorf("missing directory: %v", err)
	}
}

func FuzzParseJobs(f *testing.F) {
	f.Add("package job\n\nfunc Consumers() map[string][]C { return map[string][]C{\"a\": {{Topic: \"t\"}}} }\n")
	f.Add("package job\nconst X = 1\n")
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "job.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		jobs, _ := ParseJobs(dir)
		for _, j := range jobs {
			if !validName.MatchString(j.Name) {
				t.Fatalf("job name %q is not a DNS label", j.Name)
			}
		}
	})
}
