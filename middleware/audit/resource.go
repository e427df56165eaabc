package audit

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// pathParam returns the value of the route parameter name in path, when
// operation is an HTTP route template ("GET /users/:id", "GET /files/*path")
// that has it. A route named otherwise (a gRPC method served over HTTP) has
// no template to read.
func pathParam(operation, path, name string) (string, bool) {
	_, tmpl, ok := strings.Cut(operation, " ")
	if !ok || !strings.HasPrefix(tmpl, "/") || !strings.ContainsAny(tmpl, ":*") {
		return "", false
	}
	tsegs := strings.Split(tmpl[1:], "/")
	psegs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, t := range tsegs {
		switch {
		case t == ":"+name:
			if i < len(psegs) {
				return psegs[i], true
			}
			return "", false
		case t == "*"+name:
			if i < len(psegs) {
				return "/" + strings.Join(psegs[i:], "/"), true
			}
			return "", false
		}
	}
	return "", false
}

// field returns the scalar at path ("order.id") in the decoded request v: a
// proto message, a struct or a pointer to one, or a map keyed by strings.
func field(v any, path []string) (string, bool) {
	if m, ok := v.(proto.Message); ok {
		return protoField(m.ProtoReflect(), path)
	}
	return reflectField(reflect.ValueOf(v), path)
}

func protoField(m protoreflect.Message, path []string) (string, bool) {
	for i, seg := range path {
		if !m.IsValid() {
			return "", false
		}
		fields := m.Descriptor().Fields()
		fd := fields.ByName(protoreflect.Name(seg))
		if fd == nil {
			fd = fields.ByJSONName(seg)
		}
		if fd == nil || fd.IsList() || fd.IsMap() {
			return "", false
		}
		if i < len(path)-1 {
			if fd.Message() == nil || !m.Has(fd) {
				return "", false
			}
			m = m.Get(fd).Message()
			continue
		}
		return protoScalar(fd, m.Get(fd))
	}
	return "", false
}

func protoScalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) (string, bool) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind, protoreflect.BytesKind:
		return "", false
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name()), true
		}
		return strconv.Itoa(int(v.Enum())), true
	}
	return v.String(), true
}

// fieldIndex caches, per struct type and field name, the index of the
// field (nil: none). Types are the program's, names the config's: bounded.
var fieldIndex sync.Map // indexKey -> []int

type indexKey struct {
	t    reflect.Type
	name string
}

func reflectField(v reflect.Value, path []string) (string, bool) {
	for _, seg := range path {
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			if v.IsNil() {
				return "", false
			}
			v = v.Elem()
		}
		switch v.Kind() {
		case reflect.Struct:
			idx := structField(v.Type(), seg)
			if idx == nil {
				return "", false
			}
			f, err := v.FieldByIndexErr(idx)
			if err != nil {
				return "", false
			}
			v = f
		case reflect.Map:
			if v.Type().Key().Kind() != reflect.String {
				return "", false
			}
			e := v.MapIndex(reflect.ValueOf(seg).Convert(v.Type().Key()))
			if !e.IsValid() {
				return "", false
			}
			v = e
		default:
			return "", false
		}
	}
	return scalar(v)
}

// structField finds the exported field of t named name by its json, uri or
// form tag, or its Go name (any case).
func structField(t reflect.Type, name string) []int {
	k := indexKey{t, name}
	if idx, ok := fieldIndex.Load(k); ok {
		return idx.([]int)
	}
	var found []int
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		if tagName(f, "json") == name || tagName(f, "uri") == name || tagName(f, "form") == name {
			found = f.Index
			break
		}
		if found == nil && strings.EqualFold(f.Name, name) {
			found = f.Index
		}
	}
	fieldIndex.Store(k, found)
	return found
}

func tagName(f reflect.StructField, tag string) string {
	n, _, _ := strings.Cut(f.Tag.Get(tag), ",")
	return n
}

func scalar(v reflect.Value) (string, bool) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return "", false
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), true
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return fmt.Sprint(v.Interface()), true
	}
	if v.CanInterface() {
		if s, ok := v.Interface().(fmt.Stringer); ok {
			return s.String(), true
		}
	}
	return "", false
}

// bound cuts s to at most maxValueLen bytes, on a rune boundary.
func bound(s string) string {
	if len(s) <= maxValueLen {
		return s
	}
	s = s[:maxValueLen]
	// drop the bytes of a rune the cut went through
	for i := 0; i < utf8.UTFMax && len(s) > 0; i++ {
		if r, size := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || size > 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}
