package openapi

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/swaggest/jsonschema-go"
)

// bindingConstraints is a property interceptor that writes a field's
// `binding` tag (go-playground/validator's syntax, which gox's JSON handler
// checks) into its schema: required into the parent's required list,
// min/max/len/gt/gte/lt/lte as the bounds of a number, a string's length or
// an array's or map's size, oneof as an enum, email/url/uuid/... as a
// format, and what follows dive to the items of an array. A tag it does not
// know, and any tag with alternatives ("a|b"), says nothing in the schema.
func bindingConstraints(p jsonschema.InterceptPropParams) error {
	if !p.Processed || p.PropertySchema == nil {
		return nil
	}
	tag, ok := p.Field.Tag.Lookup("binding")
	if !ok || tag == "" || tag == "-" {
		return nil
	}
	rules := splitRules(tag)
	if i := slices.Index(rules, "dive"); i >= 0 {
		if items := itemSchema(p.PropertySchema); items != nil {
			applyRules(items, elem(p.Field.Type), rules[i+1:], nil, "")
		}
		rules = rules[:i]
	}
	applyRules(p.PropertySchema, p.Field.Type, rules, p.ParentSchema, p.Name)
	return nil
}

// splitRules splits a validator tag at its commas; a comma inside a oneof's
// quoted value is kept ('oneof='a,b' c').
func splitRules(tag string) []string {
	var rules []string
	start, quoted := 0, false
	for i := 0; i < len(tag); i++ {
		switch tag[i] {
		case '\'':
			quoted = !quoted
		case ',':
			if !quoted {
				rules = append(rules, tag[start:i])
				start = i + 1
			}
		}
	}
	return append(rules, tag[start:])
}

// kind says what a bound applies to: a number's value, a string's length,
// an array's items or a map's properties.
type kind int

const (
	kindOther kind = iota
	kindNumber
	kindString
	kindArray
	kindObject
)

func kindOf(t reflect.Type) kind {
	t = deref(t)
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return kindNumber
	case reflect.String:
		return kindString
	case reflect.Slice, reflect.Array:
		return kindArray
	case reflect.Map:
		return kindObject
	}
	return kindOther
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func elem(t reflect.Type) reflect.Type {
	t = deref(t)
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
		return t.Elem()
	}
	return nil
}

// itemSchema is the schema of an array's items, when it is inline.
func itemSchema(s *jsonschema.Schema) *jsonschema.Schema {
	if s.Items != nil && s.Items.SchemaOrBool != nil && s.Items.SchemaOrBool.TypeObject != nil {
		return s.Items.SchemaOrBool.TypeObject
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.TypeObject != nil {
		return s.AdditionalProperties.TypeObject
	}
	return nil
}

// formats are the validator tags that are JSON Schema formats.
var formats = map[string]string{
	"email": "email", "url": "uri", "uri": "uri", "http_url": "uri",
	"uuid": "uuid", "uuid3": "uuid", "uuid4": "uuid", "uuid5": "uuid", "uuid_rfc4122": "uuid",
	"ip": "ip", "ipv4": "ipv4", "ipv6": "ipv6", "hostname": "hostname", "hostname_rfc1123": "hostname",
	"datetime": "date-time",
}

// patterns are the validator tags that are a regular expression.
var patterns = map[string]string{
	"alpha":     "^[a-zA-Z]*$",
	"alphanum":  "^[a-zA-Z0-9]*$",
	"numeric":   "^[-+]?[0-9]+(?:\\.[0-9]+)?$",
	"number":    "^[0-9]+$",
	"lowercase": "^[^A-Z]*$",
	"uppercase": "^[^a-z]*$",
}

func applyRules(s *jsonschema.Schema, t reflect.Type, rules []string, parent *jsonschema.Schema, name string) {
	k := kindOf(t)
	for _, rule := range rules {
		if strings.Contains(rule, "|") {
			continue
		}
		key, arg, _ := strings.Cut(rule, "=")
		switch key {
		case "required":
			if parent != nil && !slices.Contains(parent.Required, name) {
				parent.Required = append(parent.Required, name)
			}
		case "min", "gte":
			bound(k, arg, func(f float64) { s.WithMinimum(f) }, func(n int64) {
				setSize(s, k, &n, nil)
			})
		case "max", "lte":
			bound(k, arg, func(f float64) { s.WithMaximum(f) }, func(n int64) {
				setSize(s, k, nil, &n)
			})
		case "gt":
			bound(k, arg, func(f float64) { s.WithExclusiveMinimum(f) }, func(n int64) {
				n++
				setSize(s, k, &n, nil)
			})
		case "lt":
			bound(k, arg, func(f float64) { s.WithExclusiveMaximum(f) }, func(n int64) {
				n--
				setSize(s, k, nil, &n)
			})
		case "len":
			bound(k, arg, func(f float64) { s.WithMinimum(f).WithMaximum(f) }, func(n int64) {
				setSize(s, k, &n, &n)
			})
		case "oneof":
			if vals := oneof(arg, k); len(vals) > 0 {
				s.WithEnum(vals...)
			}
		default:
			if f, ok := formats[key]; ok && k == kindString {
				s.WithFormat(f)
			} else if p, ok := patterns[key]; ok && k == kindString {
				s.WithPattern(p)
			}
		}
	}
}

// bound calls num with arg for a number, size for a length or a count.
func bound(k kind, arg string, num func(float64), size func(int64)) {
	switch k {
	case kindNumber:
		if f, err := strconv.ParseFloat(arg, 64); err == nil {
			num(f)
		}
	case kindString, kindArray, kindObject:
		if n, err := strconv.ParseInt(arg, 10, 64); err == nil && n >= 0 {
			size(n)
		}
	}
}

func setSize(s *jsonschema.Schema, k kind, lo, hi *int64) {
	if lo != nil && *lo < 0 || hi != nil && *hi < 0 {
		return
	}
	switch k {
	case kindString:
		if lo != nil {
			s.WithMinLength(*lo)
		}
		if hi != nil {
			s.WithMaxLength(*hi)
		}
	case kindArray:
		if lo != nil {
			s.WithMinItems(*lo)
		}
		if hi != nil {
			s.WithMaxItems(*hi)
		}
	case kindObject:
		if lo != nil {
			s.WithMinProperties(*lo)
		}
		if hi != nil {
			s.WithMaxProperties(*hi)
		}
	}
}

// oneof reads a oneof's values: space-separated, a value with spaces in
// single quotes; numbers for a numeric field.
func oneof(arg string, k kind) []any {
	var vals []any
	for len(arg) > 0 {
		arg = strings.TrimLeft(arg, " ")
		if arg == "" {
			break
		}
		var v string
		if arg[0] == '\'' {
			end := strings.IndexByte(arg[1:], '\'')
			if end < 0 {
				return nil
			}
			v, arg = arg[1:1+end], arg[2+end:]
		} else {
			v, arg, _ = strings.Cut(arg, " ")
		}
		if k == kindNumber {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil
			}
			if f == float64(int64(f)) {
				vals = append(vals, int64(f))
			} else {
				vals = append(vals, f)
			}
			continue
		}
		vals = append(vals, v)
	}
	return vals
}
