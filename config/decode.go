package config

import (
	"encoding"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	unmarshalerType     = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decode walks n and v together so that every error names the key path.
func decode(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil // "key:" with no value keeps the default
	}
	if v.Kind() == reflect.Pointer {
		copyOnWrite(v)
		return decode(n, v.Elem(), path)
	}
	if custom(v) {
		return leaf(n, v, path)
	}
	switch v.Kind() {
	case reflect.Struct:
		return decodeStruct(n, v, path)
	case reflect.Map:
		if v.Type().Key().Kind() == reflect.String {
			return decodeMap(n, v, path)
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode && v.Type().Elem().Kind() == reflect.Struct {
			s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
			for i, item := range n.Content {
				if err := decode(item, s.Index(i), index(path, i)); err != nil {
					return err
				}
			}
			v.Set(s)
			return nil
		}
	}
	return leaf(n, v, path)
}

func custom(v reflect.Value) bool {
	t := reflect.PointerTo(v.Type())
	return t.Implements(unmarshalerType) || t.Implements(textUnmarshalerType)
}

func decodeStruct(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return &KeyError{Line: n.Line, Key: path, Msg: fmt.Sprintf("want a mapping of keys, got %s", kindName(n))}
	}
	fields := fieldsOf(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		idx, ok := fields[k.Value]
		if !ok {
			return &KeyError{Line: k.Line, Key: join(path, k.Value), Msg: "unknown key; known keys here: " + strings.Join(sortedKeys(fields), ", ")}
		}
		if err := decode(val, v.FieldByIndex(idx), join(path, k.Value)); err != nil {
			return err
		}
	}
	return nil
}

func decodeMap(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return &KeyError{Line: n.Line, Key: path, Msg: fmt.Sprintf("want a mapping, got %s", kindName(n))}
	}
	if len(n.Content) == 0 {
		return nil // {} sets nothing
	}
	copyOnWrite(v)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := reflect.ValueOf(k.Value).Convert(v.Type().Key())
		elem := reflect.New(v.Type().Elem()).Elem()
		if old := v.MapIndex(key); old.IsValid() {
			elem.Set(old) // keep defaults of an entry the file only partly sets
		}
		if err := decode(val, elem, join(path, k.Value)); err != nil {
			return err
		}
		v.SetMapIndex(key, elem)
	}
	return nil
}

// leaf decodes a value yaml handles itself: scalars, durations, lists, maps
// with non-string keys, types with their own unmarshaler.
func leaf(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.ScalarNode && v.Kind() != reflect.String && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		plain := *n // a quoted "8080" for an int: resolve it as if unquoted
		plain.Style, plain.Tag = 0, ""
		n = &plain
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		msg := err.Error()
		if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
			msg = te.Errors[0]
		}
		return &KeyError{Line: n.Line, Key: path, Msg: fmt.Sprintf("want %s: %s", typeName(v.Type()), msg)}
	}
	return nil
}

// fieldsOf maps yaml keys to field indexes, flattening ",inline" structs.
func fieldsOf(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		inline := slices.Contains(strings.Split(opts, ","), "inline") && f.Type.Kind() == reflect.Struct
		if name == "-" || !f.IsExported() && !(inline && f.Anonymous) {
			continue // an embedded unexported struct still lends its exported fields, as in yaml.v3
		}
		if inline {
			for k, idx := range fieldsOf(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
	}
	return out
}

func sortedKeys(m map[string][]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return fmt.Sprintf("the value %q", n.Value)
}

func typeName(t reflect.Type) string {
	switch t.String() {
	case "time.Duration":
		return "a duration such as 5s or 250ms"
	case "bool":
		return "true or false"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list"
	}
	return t.String()
}

// copyOnWrite replaces the map or pointer in v by a copy, so decoding into it
// never writes through to the caller's value.
func copyOnWrite(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		if !v.IsNil() {
			nv.Elem().Set(v.Elem())
		}
		v.Set(nv)
	case reflect.Map:
		nm := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			nm.SetMapIndex(iter.Key(), iter.Value())
		}
		v.Set(nm)
	}
}
