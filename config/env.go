package config

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// applyEnv sets every leaf for which PREFIX_KEY_PATH is set.
func applyEnv(v reflect.Value, prefix, path string) error {
	t := v.Type()
	for key, idx := range fieldsOf(t) {
		f := v.FieldByIndex(idx)
		p := join(path, key)
		ft := f.Type()
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && !custom(reflect.New(ft).Elem()) {
			if f.Kind() == reflect.Pointer {
				if f.IsNil() {
					continue // optional section that is not set: the env cannot create it piecemeal
				}
				copyOnWrite(f)
				f = f.Elem()
			}
			if err := applyEnv(f, prefix, p); err != nil {
				return err
			}
			continue
		}
		if ft.Kind() == reflect.Map {
			continue
		}
		name := envName(prefix, p)
		val, ok := os.LookupEnv(name)
		if !ok {
			continue
		}
		n := &yaml.Node{Kind: yaml.ScalarNode, Value: val}
		if ft.Kind() == reflect.String {
			n.Tag = "!!str" // a variable is a string: "null", "~" and "" are values, not "unset"
		}
		if ft.Kind() == reflect.Slice {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(val), &doc); err != nil || len(doc.Content) == 0 {
				return &KeyError{Env: name, Key: p, Msg: "want a YAML list such as [a, b]"}
			}
			n = doc.Content[0]
		}
		if err := leaf(n, f, p); err != nil {
			ke := err.(*KeyError)
			ke.Env = name
			return ke
		}
	}
	return nil
}

// EnvName returns the environment variable for a key path: ("shop", "http.read_timeout") → SHOP_HTTP_READ_TIMEOUT.
func EnvName(prefix, keyPath string) string { return envName(prefix, keyPath) }

func envName(prefix, p string) string {
	name := strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(p))
	if prefix != "" {
		name = strings.ToUpper(prefix) + "_" + name
	}
	return name
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expand replaces ${VAR} and ${VAR:-default} in every scalar of the document,
// with the shell's meaning: ${VAR} must be set (it may be empty), and
// ${VAR:-default} takes the default when VAR is unset or empty.
func expand(n *yaml.Node, path string) error {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		var missing string
		out := varRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			m := varRef.FindStringSubmatch(ref)
			val, ok := os.LookupEnv(m[1])
			if m[2] != "" && val == "" { // as in the shell: unset or empty takes the default
				return m[3]
			}
			if ok {
				return val
			}
			if missing == "" {
				missing = m[1]
			}
			return ""
		})
		if missing != "" {
			return &KeyError{Line: n.Line, Key: path, Msg: fmt.Sprintf("${%s} is not set in the environment (write ${%s:-} to allow empty)", missing, missing)}
		}
		n.Value = out
		if n.Style == 0 {
			n.Tag = "" // re-resolve: ${PORT} expanded to 8080 is an int
		}
	}
	for i, c := range n.Content {
		p := path
		switch n.Kind {
		case yaml.MappingNode:
			p = join(path, n.Content[i&^1].Value) // a key and its value both name the key
		case yaml.SequenceNode:
			p = index(path, i)
		}
		if err := expand(c, p); err != nil {
			return err
		}
	}
	return nil
}
