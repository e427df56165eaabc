package validate

import (
	stderrors "errors"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
)

// checkStruct checks req's `binding` tags, naming each field by FieldPath,
// as transport/http.Validate does: a test keeps the two errors equal.
func (v *Validator) checkStruct(req any) Violations {
	err := v.structs.Struct(req)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !stderrors.As(err, &verrs) {
		// an InvalidValidationError: req is not a struct; isStruct said it is
		return Violations{{Field: "(root)", Rule: "struct", Description: err.Error()}}
	}
	vs := make(Violations, len(verrs))
	t := reflect.TypeOf(req)
	for i, fe := range verrs {
		vs[i] = Violation{Field: FieldPath(t, fe.StructNamespace()), Rule: fe.ActualTag()}
	}
	return vs
}

// FieldPath turns the path go-playground/validator gives a field of a
// value of type t (FieldError.StructNamespace: "Order.Items[2].Name", led
// by the type's name) into the path the client sees ("items[2].name"):
// each field by its json tag, else its form or uri tag (query and path
// parameters), else its Go name; elements and map keys in brackets as the
// validator writes them; an embedded struct without a json name left out,
// as encoding/json flattens its fields into the parent's. A step that names
// no field of t is kept as it is, and a path of the type's name alone is
// returned whole. t may be a pointer type.
//
// It is how this package's Validator and transport/http's Validate name
// the fields of a struct.
func FieldPath(t reflect.Type, goPath string) string {
	steps := splitPath(goPath)
	if len(steps) > 0 {
		steps = steps[1:] // the struct's own name
	}
	var b strings.Builder
	for _, step := range steps {
		name, index, _ := strings.Cut(step, "[")
		if index != "" {
			index = "[" + index
		}
		t = deref(t)
		wire := name
		if f, ok := structField(t, name); ok {
			t = f.Type
			wire = wireName(f)
			if wire == "" && index == "" {
				continue // embedded: its fields are the parent's in JSON
			}
			if wire == "" {
				wire = f.Name
			}
		} else {
			t = nil
		}
		for range strings.Count(index, "[") {
			t = deref(t)
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
				t = t.Elem()
			} else {
				t = nil
			}
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(wire)
		b.WriteString(index)
	}
	if b.Len() == 0 {
		return goPath
	}
	return b.String()
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// splitPath splits a path at the dots outside brackets (a map key may hold dots).
func splitPath(p string) []string {
	var steps []string
	depth, start := 0, 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '[':
			depth++
		case ']':
			depth = max(depth-1, 0)
		case '.':
			if depth == 0 {
				steps = append(steps, p[start:i])
				start = i + 1
			}
		}
	}
	return append(steps, p[start:])
}

func structField(t reflect.Type, name string) (reflect.StructField, bool) {
	if t == nil || t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	return t.FieldByName(name)
}

// wireName is the name a client uses for f: its json tag, else its form or
// uri tag (query and path parameters), else its Go name; "" for an embedded
// struct that encoding/json flattens.
func wireName(f reflect.StructField) string {
	for _, key := range [...]string{"json", "form", "uri"} {
		if n, _, _ := strings.Cut(f.Tag.Get(key), ","); n != "" && n != "-" {
			return n
		}
	}
	if f.Anonymous && deref(f.Type).Kind() == reflect.Struct {
		return ""
	}
	return f.Name
}
