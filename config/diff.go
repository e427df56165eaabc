package config

import (
	"fmt"
	"reflect"
	"sort"
	"unsafe"
)

// Diff returns the key paths whose values differ between two loads of the
// same config type (old and new, structs or pointers to them), sorted, in
// the form Keys gives them ("log.level", "database.default.dsn"). A reload
// uses it to apply the keys that can change while running and to log the
// others as taking effect after a restart. Values of different types give
// nil.
func Diff(old, new any) []string {
	a, b := reflect.ValueOf(old), reflect.ValueOf(new)
	if !a.IsValid() || !b.IsValid() || a.Type() != b.Type() {
		return nil
	}
	la, lb := map[string]reflect.Value{}, map[string]reflect.Value{}
	leaves(addressable(a), "", la)
	leaves(addressable(b), "", lb)
	var out []string
	for k, va := range la {
		vb, ok := lb[k]
		if !ok || !same(va.Interface(), vb.Interface()) {
			out = append(out, k)
		}
	}
	for k := range lb {
		if _, ok := la[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// same reports whether two leaves are equal; NaN, which DeepEqual never
// finds equal, is the same as NaN.
func same(a, b any) bool {
	return reflect.DeepEqual(a, b) || fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

// leaves collects the leaf values of v by key path, as collect does the paths.
func leaves(v reflect.Value, path string, out map[string]reflect.Value) {
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
			leaves(addressable(iter.Value()), join(path, iter.Key().String()), out)
		}
		return
	}
	if v.Kind() != reflect.Struct || custom(reflect.New(v.Type()).Elem()) {
		if !v.CanInterface() { // reached through an embedded unexported struct (",inline")
			v = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
		}
		out[path] = v
		return
	}
	for key, idx := range fieldsOf(v.Type()) {
		leaves(v.FieldByIndex(idx), join(path, key), out)
	}
}

// addressable returns a copy of v whose fields are addressable, so that a
// leaf behind an unexported embedded struct can be read.
func addressable(v reflect.Value) reflect.Value {
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	return c
}
