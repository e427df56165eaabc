package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"

	"go.yaml.in/yaml/v3"
)

// Keys returns the leaf key paths of a config value ("http.addr",
// "log.file.path" ...), sorted. A map of structs (named database
// connections, say) contributes the keys of each entry v holds
// ("database.default.dsn"), an empty map itself; other maps and lists are
// leaves. A generated project's test compares them with FileKeys to keep
// config.yaml documenting every setting.
func Keys(v any) []string {
	var out []string
	collect(reflect.ValueOf(v), "", &out)
	sort.Strings(out)
	return out
}

func collect(v reflect.Value, path string, out *[]string) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v = reflect.New(v.Type().Elem()).Elem()
			continue
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String && v.Len() > 0 &&
		v.Type().Elem().Kind() == reflect.Struct && !custom(reflect.New(v.Type().Elem()).Elem()) {
		iter := v.MapRange()
		for iter.Next() {
			collect(iter.Value(), join(path, iter.Key().String()), out)
		}
		return
	}
	if v.Kind() != reflect.Struct || custom(reflect.New(v.Type()).Elem()) {
		*out = append(*out, path)
		return
	}
	for key, idx := range fieldsOf(v.Type()) {
		collect(v.FieldByIndex(idx), join(path, key), out)
	}
}

// FileKeys returns every key path a YAML file sets, sorted: the leaves of
// nested mappings and the keys holding mappings too ("http" and
// "http.addr"), so a map-typed setting written out entry by entry
// ("ports: {http: 8080}") documents the setting itself.
func FileKeys(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	if err := resolveMerges(&doc); err != nil {
		var ke *KeyError
		if errors.As(err, &ke) {
			ke.File = path
		}
		return nil, err
	}
	var out []string
	if len(doc.Content) > 0 {
		walkKeys(doc.Content[0], "", &out)
	}
	sort.Strings(out)
	return out, nil
}

func walkKeys(n *yaml.Node, path string, out *[]string) {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		if path != "" {
			*out = append(*out, path)
		}
		return
	}
	if path != "" {
		*out = append(*out, path)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		walkKeys(n.Content[i+1], join(path, n.Content[i].Value), out)
	}
}
