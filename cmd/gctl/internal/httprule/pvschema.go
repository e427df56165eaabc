package httprule

import (
	"maps"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// This file writes the buf.validate rules of the request messages (the
// rules protovalidate checks: contrib/validate/protovalidate and
// middleware/validate) into their schemas, so that the document refuses
// what the service answers 400 INVALID_FIELD to. A rule JSON Schema cannot
// say exactly is left out: the document may accept a value the service
// refuses, never the reverse.

// pvTypes resolves buf.validate's extensions to gox's Go types: protocompile
// leaves them on the options as dynamic messages (or unknown fields when
// validate.proto is a copy of the user's), which proto.GetExtension with the
// Go type does not read.
var pvTypes = func() *protoregistry.Types {
	t := new(protoregistry.Types)
	for _, x := range []protoreflect.ExtensionType{validate.E_Field, validate.E_Message, validate.E_Oneof} {
		if err := t.RegisterExtension(x); err != nil {
			panic(err)
		}
	}
	return t
}()

// readRules is the extension xt of a descriptor's options, read again into
// fresh options (a new descriptorpb message) by its wire form; the zero T
// when the options do not have it.
func readRules[T proto.Message](opts, fresh proto.Message, xt protoreflect.ExtensionType) T {
	var zero T
	if opts == nil || !opts.ProtoReflect().IsValid() {
		return zero
	}
	b, err := proto.MarshalOptions{AllowPartial: true}.Marshal(opts)
	if err != nil || len(b) == 0 {
		return zero
	}
	if err := (proto.UnmarshalOptions{Resolver: pvTypes, AllowPartial: true}).Unmarshal(b, fresh); err != nil {
		return zero
	}
	if !proto.HasExtension(fresh, xt) {
		return zero
	}
	r, _ := proto.GetExtension(fresh, xt).(T)
	return r
}

func fieldRules(fd protoreflect.FieldDescriptor) *validate.FieldRules {
	return readRules[*validate.FieldRules](fd.Options(), &descriptorpb.FieldOptions{}, validate.E_Field)
}

func oneofRules(od protoreflect.OneofDescriptor) *validate.OneofRules {
	return readRules[*validate.OneofRules](od.Options(), &descriptorpb.OneofOptions{}, validate.E_Oneof)
}

func messageRules(md protoreflect.MessageDescriptor) *validate.MessageRules {
	return readRules[*validate.MessageRules](md.Options(), &descriptorpb.MessageOptions{}, validate.E_Message)
}

// pvField is what protovalidate does with a field, as the document says it.
type pvField struct {
	r        *validate.FieldRules // nil: no rules, or ignored always
	always   bool                 // IGNORE_ALWAYS: no rule, not even a message's own, applies
	required bool                 // the field must be set
	// ignoreZero: the value's rules skip the zero value of a field without
	// presence (IGNORE_IF_ZERO_VALUE, the default of a field a message's
	// oneof rule names)
	ignoreZero bool
}

func pvFieldOf(fd protoreflect.FieldDescriptor) pvField {
	r := fieldRules(fd)
	if r == nil {
		return pvField{}
	}
	if r.GetIgnore() == validate.Ignore_IGNORE_ALWAYS {
		return pvField{always: true}
	}
	ignoreZero := r.GetIgnore() == validate.Ignore_IGNORE_IF_ZERO_VALUE
	if !r.HasIgnore() && inMessageOneof(fd) {
		ignoreZero = true
	}
	return pvField{r: r, required: r.GetRequired(), ignoreZero: ignoreZero && !fd.HasPresence()}
}

// inMessageOneof reports whether a (buf.validate.message).oneof rule of
// fd's message names fd.
func inMessageOneof(fd protoreflect.FieldDescriptor) bool {
	for _, o := range messageRules(fd.ContainingMessage()).GetOneof() {
		if slices.Contains(o.GetFields(), string(fd.Name())) {
			return true
		}
	}
	return false
}

// hasRules reports whether a message or a message it holds has a rule the
// document states.
func hasRules(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) bool {
	if seen[md.FullName()] {
		return false
	}
	seen[md.FullName()] = true
	for i := 0; i < md.Oneofs().Len(); i++ {
		if oneofRules(md.Oneofs().Get(i)).GetRequired() {
			return true
		}
	}
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		if pvFieldOf(fd).r != nil {
			return true
		}
		if fd.IsMap() {
			fd = fd.MapValue()
		}
		if fd.Message() != nil && hasRules(fd.Message(), seen) {
			return true
		}
	}
	return false
}

// Schemas as constraints: nil is the schema every value passes, falseSchema
// the one none does.

func falseSchema() map[string]any { return map[string]any{"not": map[string]any{}} }

func isFalse(s map[string]any) bool {
	n, ok := s["not"].(map[string]any)
	return ok && len(s) == 1 && len(n) == 0
}

// allOf is the schema of the values every s passes: their keywords in one
// schema when no two have the same, else an allOf.
func allOf(ss ...map[string]any) map[string]any {
	var out []map[string]any
	for _, s := range ss {
		if isFalse(s) {
			return falseSchema()
		}
		if len(s) > 0 {
			out = append(out, s)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	merged := map[string]any{}
	var rest []any
	for _, s := range out {
		if !mergeInto(merged, s) {
			rest = append(rest, s)
		}
	}
	if len(rest) > 0 {
		if _, ok := merged["allOf"]; ok {
			return map[string]any{"allOf": append([]any{merged}, rest...)}
		}
		merged["allOf"] = rest
	}
	return merged
}

// anyOf is the schema of the values some s passes.
func anyOf(ss ...map[string]any) map[string]any {
	var out []any
	for _, s := range ss {
		if len(s) == 0 {
			return nil
		}
		if !isFalse(s) {
			out = append(out, s)
		}
	}
	switch len(out) {
	case 0:
		return falseSchema()
	case 1:
		return out[0].(map[string]any)
	}
	return map[string]any{"anyOf": out}
}

// nullSafe are the keywords a null passes.
var nullSafe = map[string]bool{
	"minLength": true, "maxLength": true, "pattern": true, "format": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
	"minItems": true, "maxItems": true, "uniqueItems": true, "items": true,
	"minProperties": true, "maxProperties": true, "additionalProperties": true, "propertyNames": true,
}

func nullable(s map[string]any) bool {
	if t, ok := s["type"].([]any); ok && slices.Contains(t, any("null")) {
		return true
	}
	if a, ok := s["anyOf"].([]any); ok {
		for _, e := range a {
			if m, ok := e.(map[string]any); ok && m["type"] == "null" {
				return true
			}
		}
	}
	return false
}

// constrain is the schema s with the constraint c: c's keywords beside
// s's, or, where s has one of them or is a $ref, in an allOf. When s admits
// null (an unset field with presence, whose rules do not apply), so does
// the constraint.
func constrain(s, c map[string]any) map[string]any {
	if len(c) == 0 {
		return s
	}
	if nullable(s) {
		for k := range c {
			if !nullSafe[k] {
				c = map[string]any{"anyOf": []any{map[string]any{"type": "null"}, c}}
				break
			}
		}
	}
	out := maps.Clone(s)
	if _, isRef := out["$ref"]; isRef {
		out = map[string]any{"allOf": []any{s}}
	}
	// a 64-bit integer's range pattern says what its base pattern does and more
	if p, ok := c["pattern"].(string); ok && (out["pattern"] == int64Pattern || out["pattern"] == uint64Pattern) && p != "" {
		out["pattern"] = p
		c = maps.Clone(c)
		delete(c, "pattern")
	}
	if !mergeInto(out, c) {
		var all []any
		if a, ok := out["allOf"].([]any); ok {
			all = slices.Clone(a)
		}
		out["allOf"] = append(all, c)
	}
	return out
}

// mergeInto adds the keywords of c to s when s has none of them but size
// bounds (minLength, maxItems, ...: the tighter one holds both), and
// reports whether it did; it leaves s alone when it does not.
func mergeInto(s, c map[string]any) bool {
	for k, v := range c {
		if old, ok := s[k]; ok {
			if _, ok := tighter(k, old, v); !ok {
				return false
			}
		}
	}
	for k, v := range c {
		if old, ok := s[k]; ok {
			v, _ = tighter(k, old, v)
		}
		s[k] = v
	}
	return true
}

// tighter is the bound of a size keyword that holds a and b.
func tighter(keyword string, a, b any) (any, bool) {
	x, ok1 := sizeOf(a)
	y, ok2 := sizeOf(b)
	if !ok1 || !ok2 {
		return nil, false
	}
	switch keyword {
	case "minLength", "minItems", "minProperties":
		return max(x, y), true
	case "maxLength", "maxItems", "maxProperties":
		return min(x, y), true
	}
	return nil, false
}

func sizeOf(v any) (uint64, bool) {
	switch n := v.(type) {
	case int:
		return uint64(max(n, 0)), true
	case uint64:
		return n, true
	}
	return 0, false
}

const (
	int64Pattern  = `^-?[0-9]+$`
	uint64Pattern = `^[0-9]+$`
)

// valueKind is the field whose kind a value has: fd itself, or the value
// field of a wrapper (google.protobuf.Int32Value, ...), whose rules are
// the wrapped scalar's.
func valueKind(fd protoreflect.FieldDescriptor) protoreflect.FieldDescriptor {
	if fd.Kind() == protoreflect.MessageKind && fd.Message().ParentFile().Path() == "google/protobuf/wrappers.proto" {
		if v := fd.Message().Fields().ByName("value"); v != nil {
			return v
		}
	}
	return fd
}

// zeroSchema is the schema of the zero value of fd's kind (the value
// IGNORE_IF_ZERO_VALUE skips), nil when it has none the document can say.
func zeroSchema(fd protoreflect.FieldDescriptor, item bool) map[string]any {
	switch {
	case fd.IsList() && !item:
		return map[string]any{"maxItems": 0}
	case fd.IsMap() && !item:
		return map[string]any{"maxProperties": 0}
	}
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind:
		return map[string]any{"const": ""}
	case protoreflect.BoolKind:
		return map[string]any{"const": false}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return map[string]any{"enum": []any{"0", "-0"}}
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return map[string]any{"const": "0"}
	case protoreflect.EnumKind:
		if n := zeroEnum(fd.Enum()); n != "" {
			return map[string]any{"const": n}
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return nil
	default: // the other numbers
		return map[string]any{"const": 0}
	}
	return nil
}

// zeroEnum is the name of an enum's zero value: number 0 of an open enum,
// the first value of a closed one.
func zeroEnum(ed protoreflect.EnumDescriptor) string {
	if ed.Values().Len() == 0 {
		return ""
	}
	if ed.IsClosed() {
		return string(ed.Values().Get(0).Name())
	}
	if v := ed.Values().ByNumber(0); v != nil {
		return string(v.Name())
	}
	return ""
}

// nonZero is the schema of the values of fd (without presence) other than
// the zero value: what `required` asks of such a field. nil when the
// document cannot say it exactly (floats: -0 is set, 0 is not).
func nonZero(fd protoreflect.FieldDescriptor) map[string]any {
	switch {
	case fd.IsList():
		return map[string]any{"minItems": 1}
	case fd.IsMap():
		return map[string]any{"minProperties": 1}
	}
	switch fd.Kind() {
	case protoreflect.StringKind:
		return map[string]any{"minLength": 1}
	case protoreflect.BytesKind:
		return map[string]any{"minLength": 2} // the shortest base64 of one byte
	case protoreflect.BoolKind:
		return map[string]any{"const": true}
	case protoreflect.FloatKind, protoreflect.DoubleKind, protoreflect.MessageKind, protoreflect.GroupKind:
		return nil
	}
	if z := zeroSchema(fd, true); z != nil {
		return map[string]any{"not": z}
	}
	return nil
}

// valueRules is the constraint r puts on one value of fd's kind (an item
// of a repeated fd, the wrapped value of a wrapper), nil for none the
// document can say. A rule of another kind than fd's (which protovalidate
// refuses to compile) says nothing.
func valueRules(fd protoreflect.FieldDescriptor, r *validate.FieldRules) map[string]any {
	if r == nil {
		return nil
	}
	fd = valueKind(fd)
	m := r.ProtoReflect()
	which := m.WhichOneof(m.Descriptor().Oneofs().ByName("type"))
	if which == nil {
		return nil
	}
	sub := m.Get(which).Message()
	switch which.Name() {
	case "string":
		if fd.Kind() == protoreflect.StringKind {
			return stringRules(r.GetString())
		}
	case "bytes":
		if fd.Kind() == protoreflect.BytesKind {
			return bytesRules(r.GetBytes())
		}
	case "bool":
		if fd.Kind() == protoreflect.BoolKind && r.GetBool().HasConst() {
			return map[string]any{"const": r.GetBool().GetConst()}
		}
	case "enum":
		if fd.Kind() == protoreflect.EnumKind {
			return enumRules(fd.Enum(), r.GetEnum())
		}
	default:
		if numberRuleKinds[which.Name()] == fd.Kind() {
			return numberRules(fd.Kind(), sub)
		}
	}
	return nil
}

// numberRuleKinds maps FieldRules' numeric cases to the kinds they apply to.
var numberRuleKinds = map[protoreflect.Name]protoreflect.Kind{
	"float": protoreflect.FloatKind, "double": protoreflect.DoubleKind,
	"int32": protoreflect.Int32Kind, "int64": protoreflect.Int64Kind,
	"uint32": protoreflect.Uint32Kind, "uint64": protoreflect.Uint64Kind,
	"sint32": protoreflect.Sint32Kind, "sint64": protoreflect.Sint64Kind,
	"fixed32": protoreflect.Fixed32Kind, "fixed64": protoreflect.Fixed64Kind,
	"sfixed32": protoreflect.Sfixed32Kind, "sfixed64": protoreflect.Sfixed64Kind,
}

func stringRules(r *validate.StringRules) map[string]any {
	var cs []map[string]any
	minLen, maxLen := -1, -1
	bound := func(v uint64, lo bool) {
		n := int(min(v, math.MaxInt32))
		if lo && n > minLen {
			minLen = n
		}
		if !lo && (maxLen < 0 || n < maxLen) {
			maxLen = n
		}
	}
	if r.HasLen() {
		bound(r.GetLen(), true)
		bound(r.GetLen(), false)
	}
	if r.HasMinLen() {
		bound(r.GetMinLen(), true)
	}
	if r.HasMaxLen() {
		bound(r.GetMaxLen(), false)
	}
	lengths := map[string]any{}
	if minLen >= 0 {
		lengths["minLength"] = minLen
	}
	if maxLen >= 0 {
		lengths["maxLength"] = maxLen
	}
	cs = append(cs, lengths)
	if r.HasConst() {
		cs = append(cs, map[string]any{"const": r.GetConst()})
	}
	if in := r.GetIn(); len(in) > 0 {
		cs = append(cs, map[string]any{"enum": anySlice(in)})
	}
	if out := r.GetNotIn(); len(out) > 0 {
		cs = append(cs, map[string]any{"not": map[string]any{"enum": anySlice(out)}})
	}
	if r.HasPattern() {
		if p, ok := portablePattern(r.GetPattern()); ok {
			cs = append(cs, map[string]any{"pattern": p})
		}
	}
	if r.HasPrefix() {
		cs = append(cs, map[string]any{"pattern": "^" + quoteLiteral(r.GetPrefix())})
	}
	if r.HasSuffix() {
		cs = append(cs, map[string]any{"pattern": quoteLiteral(r.GetSuffix()) + "$"})
	}
	if r.HasContains() {
		cs = append(cs, map[string]any{"pattern": quoteLiteral(r.GetContains())})
	}
	if r.HasNotContains() {
		cs = append(cs, map[string]any{"not": map[string]any{"pattern": quoteLiteral(r.GetNotContains())}})
	}
	cs = append(cs, stringWellKnown(r))
	return allOf(cs...)
}

// Patterns of protovalidate's well-known string rules that are regular
// expressions (buf.build/go/protovalidate, native_string.go).
const (
	tuuidPattern       = `^[0-9a-fA-F]{32}$`
	ulidPattern        = `^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$`
	headerNamePattern  = "^:?[0-9a-zA-Z!#$%&'*+.\\-^_|~\\x60]+$"
	headerValuePattern = `^[^\x00-\x08\x0A-\x1F\x7F]*$`
	looseHeaderPattern = `^[^\x00\x0A\x0D]+$`
)

// stringWellKnown is the constraint of a well-known string rule: a format
// where JSON Schema has one for it, the pattern protovalidate matches where
// it is a regular expression.
func stringWellKnown(r *validate.StringRules) map[string]any {
	format := func(f string) map[string]any { return map[string]any{"format": f} }
	pattern := func(p string) map[string]any {
		if q, ok := portablePattern(p); ok {
			return map[string]any{"pattern": q}
		}
		return nil
	}
	switch {
	case r.GetEmail():
		return format("email")
	case r.GetHostname():
		return format("hostname")
	case r.GetIp():
		return anyOf(format("ipv4"), format("ipv6"))
	case r.GetIpv4():
		return format("ipv4")
	case r.GetIpv6():
		return format("ipv6")
	case r.GetUri():
		return format("uri")
	case r.GetUriRef():
		return format("uri-reference")
	case r.GetAddress():
		return anyOf(format("hostname"), format("ipv4"), format("ipv6"))
	case r.GetUuid():
		return format("uuid")
	case r.GetTuuid():
		return pattern(tuuidPattern)
	case r.GetUlid():
		return pattern(ulidPattern)
	case r.HasWellKnownRegex():
		strict := !r.HasStrict() || r.GetStrict()
		switch r.GetWellKnownRegex() {
		case validate.KnownRegex_KNOWN_REGEX_HTTP_HEADER_NAME:
			if strict {
				return pattern(headerNamePattern)
			}
			return pattern(looseHeaderPattern)
		case validate.KnownRegex_KNOWN_REGEX_HTTP_HEADER_VALUE:
			if strict {
				return pattern(headerValuePattern)
			}
			return pattern(looseHeaderPattern)
		}
	}
	return nil
}

// base64Chars is a character of base64 in either alphabet protojson reads.
const base64Chars = `[A-Za-z0-9+/_-]`

// bytesRules: a length in bytes is a count of base64 characters (the '='
// padding aside), exactly: n characters decode to ⌊3n/4⌋ bytes.
func bytesRules(r *validate.BytesRules) map[string]any {
	const limit = 1 << 40
	lo, hi := uint64(0), uint64(math.MaxUint64)
	if r.HasLen() {
		lo, hi = max(lo, r.GetLen()), min(hi, r.GetLen())
	}
	if r.HasMinLen() {
		lo = max(lo, r.GetMinLen())
	}
	if r.HasMaxLen() {
		hi = min(hi, r.GetMaxLen())
	}
	var cs []map[string]any
	if lo > 0 || hi < math.MaxUint64 {
		if lo > limit || (hi < math.MaxUint64 && hi > limit) {
			return nil
		}
		cs = append(cs, base64Length([][2]uint64{{lo, hi}}))
	}
	switch {
	case r.GetIp():
		cs = append(cs, base64Length([][2]uint64{{4, 4}, {16, 16}}))
	case r.GetIpv4():
		cs = append(cs, base64Length([][2]uint64{{4, 4}}))
	case r.GetIpv6(), r.GetUuid():
		cs = append(cs, base64Length([][2]uint64{{16, 16}}))
	}
	return allOf(cs...)
}

// base64Length is a pattern of the base64 strings of a length in bytes in
// one of the ranges (hi math.MaxUint64: no bound).
func base64Length(ranges [][2]uint64) map[string]any {
	var alts []string
	for _, r := range ranges {
		lo, hi := r[0], r[1]
		if lo > hi {
			continue
		}
		minChars := (4*lo + 2) / 3 // ⌈4lo/3⌉
		if hi == math.MaxUint64 {
			alts = append(alts, base64Chars+"{"+strconv.FormatUint(minChars, 10)+",}")
			continue
		}
		maxChars := (4*hi + 3) / 3 // ⌊(4hi+3)/3⌋
		if minChars == maxChars {
			alts = append(alts, base64Chars+"{"+strconv.FormatUint(minChars, 10)+"}")
		} else {
			alts = append(alts, base64Chars+"{"+strconv.FormatUint(minChars, 10)+","+strconv.FormatUint(maxChars, 10)+"}")
		}
	}
	switch len(alts) {
	case 0:
		return falseSchema()
	case 1:
		return map[string]any{"pattern": "^" + alts[0] + "=*$"}
	}
	return map[string]any{"pattern": "^(?:" + strings.Join(alts, "|") + ")=*$"}
}

// enumRules: the document spells an enum by its values' names (protojson's
// form), so it holds only defined values already (defined_only); const, in
// and not_in are the names of their numbers.
func enumRules(ed protoreflect.EnumDescriptor, r *validate.EnumRules) map[string]any {
	names := func(nums []int32) []any {
		var out []any
		for i := 0; i < ed.Values().Len(); i++ {
			if v := ed.Values().Get(i); slices.Contains(nums, int32(v.Number())) {
				out = append(out, string(v.Name()))
			}
		}
		return out
	}
	var cs []map[string]any
	if r.HasConst() {
		cs = append(cs, enumOf(names([]int32{r.GetConst()})))
	}
	if in := r.GetIn(); len(in) > 0 {
		cs = append(cs, enumOf(names(in)))
	}
	if out := names(r.GetNotIn()); len(out) > 0 {
		cs = append(cs, map[string]any{"not": map[string]any{"enum": out}})
	}
	return allOf(cs...)
}

// enumOf is the schema of one of vals.
func enumOf(vals []any) map[string]any {
	switch len(vals) {
	case 0:
		return falseSchema()
	case 1:
		return map[string]any{"const": vals[0]}
	}
	return map[string]any{"enum": vals}
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// numberRules is the constraint of a numeric rule message (Int32Rules, ...,
// DoubleRules: const, lt, lte, gt, gte, in, not_in) on a field of kind k.
// gt/gte with lt/lte form a range, or, when the upper bound is below the
// lower one, its outside (protovalidate's *_exclusive rules).
func numberRules(k protoreflect.Kind, m protoreflect.Message) map[string]any {
	fields := m.Descriptor().Fields()
	get := func(name protoreflect.Name) (protoreflect.Value, bool) {
		f := fields.ByName(name)
		if f == nil || !m.Has(f) {
			return protoreflect.Value{}, false
		}
		return m.Get(f), true
	}
	list := func(name protoreflect.Name) []protoreflect.Value {
		f := fields.ByName(name)
		if f == nil || !f.IsList() {
			return nil
		}
		l := m.Get(f).List()
		out := make([]protoreflect.Value, l.Len())
		for i := range out {
			out[i] = l.Get(i)
		}
		return out
	}
	d := domainOf(k)
	var cs []map[string]any
	if v, ok := get("const"); ok {
		cs = append(cs, d.oneOf([]protoreflect.Value{v}))
	}
	if in := list("in"); len(in) > 0 {
		cs = append(cs, d.oneOf(in))
	}
	if out := list("not_in"); len(out) > 0 {
		if s := d.oneOf(out); !isFalse(s) {
			cs = append(cs, map[string]any{"not": s})
		}
	}
	// the range
	var lower, upper map[string]any
	lo, hasLo := get("gt")
	loExcl := hasLo
	if !hasLo {
		lo, hasLo = get("gte")
	}
	hi, hasHi := get("lt")
	hiExcl := hasHi
	if !hasHi {
		hi, hasHi = get("lte")
	}
	if hasLo && d.isNaN(lo) || hasHi && d.isNaN(hi) {
		// protovalidate's comparisons with NaN are false: no bound holds
		return allOf(cs...)
	}
	if hasLo {
		lower = d.above(lo, loExcl)
	}
	if hasHi {
		upper = d.below(hi, hiExcl)
	}
	switch {
	case hasLo && hasHi && d.less(hi, lo):
		if d.kind == int64Strings || d.kind == uint64Strings {
			cs = append(cs, d.intRange(lo, loExcl, hi, hiExcl, true))
		} else {
			cs = append(cs, anyOf(upper, lower))
		}
	case d.kind == int64Strings || d.kind == uint64Strings:
		if hasLo || hasHi {
			cs = append(cs, d.intRange(optVal(lo, hasLo), loExcl, optVal(hi, hasHi), hiExcl, false))
		}
	default:
		cs = append(cs, lower, upper)
	}
	return allOf(cs...)
}

func optVal(v protoreflect.Value, ok bool) protoreflect.Value {
	if !ok {
		return protoreflect.Value{}
	}
	return v
}

type domainKind int

const (
	jsonIntegers  domainKind = iota // 32-bit integers: JSON numbers
	int64Strings                    // int64, sint64, sfixed64: decimal strings
	uint64Strings                   // uint64, fixed64: decimal strings
	doubles
	floats // float: protojson rounds the number to 32 bits first
)

type domain struct{ kind domainKind }

func domainOf(k protoreflect.Kind) domain {
	switch k {
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return domain{int64Strings}
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return domain{uint64Strings}
	case protoreflect.DoubleKind:
		return domain{doubles}
	case protoreflect.FloatKind:
		return domain{floats}
	}
	return domain{jsonIntegers}
}

func (d domain) isNaN(v protoreflect.Value) bool {
	return (d.kind == doubles || d.kind == floats) && math.IsNaN(v.Float())
}

func (d domain) big(v protoreflect.Value) *big.Int {
	switch v.Interface().(type) {
	case uint32, uint64:
		return new(big.Int).SetUint64(v.Uint())
	}
	return big.NewInt(v.Int())
}

func (d domain) less(a, b protoreflect.Value) bool {
	switch d.kind {
	case doubles, floats:
		return a.Float() < b.Float()
	}
	return d.big(a).Cmp(d.big(b)) < 0
}

// json is v as the document writes it.
func (d domain) json(v protoreflect.Value) any {
	switch d.kind {
	case doubles, floats:
		return v.Float()
	case int64Strings, uint64Strings:
		return d.big(v).String()
	}
	switch x := v.Interface().(type) {
	case uint32:
		return x
	}
	return v.Int()
}

// oneOf is the schema of the values equal to one of vals.
func (d domain) oneOf(vals []protoreflect.Value) map[string]any {
	var out []any
	var ranges []map[string]any
	for _, v := range vals {
		switch d.kind {
		case floats:
			if f := float32(v.Float()); !math.IsNaN(float64(f)) {
				ranges = append(ranges, allOf(f32AtLeast(f), f32AtMost(f)))
			}
			continue
		case doubles:
			if math.IsNaN(v.Float()) || math.IsInf(v.Float(), 0) {
				continue // not a JSON number
			}
		}
		j := d.json(v)
		if !slices.Contains(out, j) {
			out = append(out, j)
		}
		if d.kind == int64Strings && j == "0" {
			out = append(out, "-0") // protojson reads "-0" as 0
		}
	}
	if d.kind == floats {
		return anyOf(ranges...)
	}
	return enumOf(out)
}

// above is the schema of the values > v (excl) or >= v.
func (d domain) above(v protoreflect.Value, excl bool) map[string]any {
	switch d.kind {
	case floats:
		f := float32(v.Float())
		if excl {
			if math.IsInf(float64(f), 1) {
				return falseSchema()
			}
			f = math.Nextafter32(f, float32(math.Inf(1)))
		}
		return f32AtLeast(f)
	case doubles:
		f := v.Float()
		switch {
		case math.IsInf(f, -1):
			return nil
		case math.IsInf(f, 1):
			return falseSchema()
		}
	}
	if excl {
		return map[string]any{"exclusiveMinimum": d.json(v)}
	}
	return map[string]any{"minimum": d.json(v)}
}

// below is the schema of the values < v (excl) or <= v.
func (d domain) below(v protoreflect.Value, excl bool) map[string]any {
	switch d.kind {
	case floats:
		f := float32(v.Float())
		if excl {
			if math.IsInf(float64(f), -1) {
				return falseSchema()
			}
			f = math.Nextafter32(f, float32(math.Inf(-1)))
		}
		return f32AtMost(f)
	case doubles:
		f := v.Float()
		switch {
		case math.IsInf(f, 1):
			return nil
		case math.IsInf(f, -1):
			return falseSchema()
		}
	}
	if excl {
		return map[string]any{"exclusiveMaximum": d.json(v)}
	}
	return map[string]any{"maximum": d.json(v)}
}

// f32AtLeast is the schema of the JSON numbers protojson reads as a float
// >= b: those above the midpoint between b and the float before it (the
// midpoint itself when it rounds to b, which has the even mantissa).
func f32AtLeast(b float32) map[string]any {
	switch {
	case math.IsInf(float64(b), -1):
		return nil
	case math.IsInf(float64(b), 1):
		return falseSchema()
	}
	p := math.Nextafter32(b, float32(math.Inf(-1)))
	if math.IsInf(float64(p), -1) {
		return nil
	}
	mid := (float64(p) + float64(b)) / 2
	if math.Float32bits(b)&1 == 0 {
		return map[string]any{"minimum": mid}
	}
	return map[string]any{"exclusiveMinimum": mid}
}

// f32AtMost is the schema of the JSON numbers protojson reads as a float
// <= b.
func f32AtMost(b float32) map[string]any {
	switch {
	case math.IsInf(float64(b), 1):
		return nil
	case math.IsInf(float64(b), -1):
		return falseSchema()
	}
	n := math.Nextafter32(b, float32(math.Inf(1)))
	if math.IsInf(float64(n), 1) {
		return nil
	}
	mid := (float64(b) + float64(n)) / 2
	if math.Float32bits(b)&1 == 0 {
		return map[string]any{"maximum": mid}
	}
	return map[string]any{"exclusiveMaximum": mid}
}

// intRange is the pattern of the decimal strings of a 64-bit integer
// range: [lo, hi] (a zero Value: no bound), or, outside, the values below
// hi or above lo.
func (d domain) intRange(lo protoreflect.Value, loExcl bool, hi protoreflect.Value, hiExcl bool, outside bool) map[string]any {
	one := big.NewInt(1)
	var l, h *big.Int
	if lo.IsValid() {
		l = d.big(lo)
		if loExcl {
			l = new(big.Int).Add(l, one)
		}
	}
	if hi.IsValid() {
		h = d.big(hi)
		if hiExcl {
			h = new(big.Int).Sub(h, one)
		}
	}
	var ivs [][2]*big.Int
	if outside {
		ivs = [][2]*big.Int{{nil, h}, {l, nil}}
	} else {
		ivs = [][2]*big.Int{{l, h}}
	}
	min, max := big.NewInt(math.MinInt64), new(big.Int).SetUint64(math.MaxInt64)
	if d.kind == uint64Strings {
		min, max = big.NewInt(0), new(big.Int).SetUint64(math.MaxUint64)
	}
	for i := range ivs {
		if ivs[i][0] != nil && ivs[i][0].Cmp(min) <= 0 {
			ivs[i][0] = nil
		}
		if ivs[i][1] != nil && ivs[i][1].Cmp(max) >= 0 {
			ivs[i][1] = nil
		}
		if ivs[i][0] == nil && ivs[i][1] == nil {
			return nil // every value
		}
	}
	p := intRangesPattern(ivs, d.kind == int64Strings)
	if p == "" {
		return falseSchema()
	}
	return map[string]any{"pattern": p}
}

// ruledField is fieldSchema(fd) with fd's rules as constraints, and
// whether the field is required (one of its message's required
// properties): when its rules say so, or, for a field without presence,
// when they refuse its zero value, which is what protojson reads when the
// field is absent. A required field with presence is not null: protojson
// reads null as unset.
func (g *oapi) ruledField(fd protoreflect.FieldDescriptor) (map[string]any, bool) {
	if g.plain {
		return g.fieldSchema(fd), false
	}
	pf := pvFieldOf(fd)
	if pf.always {
		return g.plainly(fd, func() map[string]any { return g.fieldSchema(fd) }), false
	}
	s := g.fieldSchema(fd)
	if pf.required && fd.HasPresence() {
		s = g.valueSchema(fd)
		if valueKind(fd) != fd {
			s = scalarKindSchema(valueKind(fd)) // a wrapper's value, not null
		}
	}
	return g.applyRules(fd, &pf, s), pf.required
}

// plainly is make's schema built with no rule stated: for a message field
// whose rules protovalidate ignores (IGNORE_ALWAYS, which skips the
// message's own rules too), the messages are in components/schemas a
// second time, "<name>-unvalidated", when they or a message they hold have
// rules.
func (g *oapi) plainly(fd protoreflect.FieldDescriptor, make func() map[string]any) map[string]any {
	if fd.IsMap() {
		fd = fd.MapValue()
	}
	if fd.Message() == nil || g.plain || !hasRules(fd.Message(), map[protoreflect.FullName]bool{}) {
		return make()
	}
	g.plain = true
	defer func() { g.plain = false }()
	return make()
}

// applyRules is s, a schema of fd's value (a property's or a parameter's),
// with pf's rules as constraints: an array's and an object's own and their
// items'. It sets pf.required when the rules refuse the zero value of a
// field without presence.
func (g *oapi) applyRules(fd protoreflect.FieldDescriptor, pf *pvField, s map[string]any) map[string]any {
	r := pf.r
	if r == nil || g.plain {
		return s
	}
	var c map[string]any
	switch {
	case fd.IsMap():
		mr := r.GetMap()
		if mr == nil {
			break
		}
		s = maps.Clone(s)
		if v, ok := s["additionalProperties"].(map[string]any); ok {
			if mr.GetValues().GetIgnore() == validate.Ignore_IGNORE_ALWAYS {
				v = g.plainly(fd.MapValue(), func() map[string]any { return g.valueSchema(fd.MapValue()) })
			}
			s["additionalProperties"] = constrain(v, itemRules(fd.MapValue(), mr.GetValues()))
		}
		if fd.MapKey().Kind() == protoreflect.StringKind {
			if kc := itemRules(fd.MapKey(), mr.GetKeys()); kc != nil {
				c = map[string]any{"propertyNames": kc}
			}
		}
		c = allOf(c, sizeRules("minProperties", mr.HasMinPairs(), mr.GetMinPairs()), sizeRules("maxProperties", mr.HasMaxPairs(), mr.GetMaxPairs()))
	case fd.IsList():
		rr := r.GetRepeated()
		if rr == nil {
			break
		}
		s = maps.Clone(s)
		if v, ok := s["items"].(map[string]any); ok {
			if rr.GetItems().GetIgnore() == validate.Ignore_IGNORE_ALWAYS {
				v = g.plainly(fd, func() map[string]any { return g.valueSchema(fd) })
			}
			s["items"] = constrain(v, itemRules(fd, rr.GetItems()))
		}
		c = allOf(sizeRules("minItems", rr.HasMinItems(), rr.GetMinItems()), sizeRules("maxItems", rr.HasMaxItems(), rr.GetMaxItems()))
		if rr.GetUnique() {
			c = allOf(c, map[string]any{"uniqueItems": true})
		}
	default:
		c = valueRules(fd, r)
	}
	if pf.ignoreZero && c != nil {
		if z := zeroSchema(fd, false); z != nil {
			c = anyOf(z, c)
		} else {
			c = nil
		}
	}
	if pf.required && !fd.HasPresence() {
		c = allOf(c, nonZero(fd))
	}
	if !fd.HasPresence() && c != nil && zeroRefused(fd, c) {
		pf.required = true
	}
	return constrain(s, c)
}

// itemRules is the constraint of the rules of an item of a repeated field
// or a key or value of a map.
func itemRules(fd protoreflect.FieldDescriptor, r *validate.FieldRules) map[string]any {
	if r == nil || r.GetIgnore() == validate.Ignore_IGNORE_ALWAYS {
		return nil
	}
	c := valueRules(fd, r)
	if c != nil && r.GetIgnore() == validate.Ignore_IGNORE_IF_ZERO_VALUE {
		z := zeroSchema(fd, true)
		if z == nil {
			return nil
		}
		c = anyOf(z, c)
	}
	return c
}

func sizeRules(keyword string, has bool, n uint64) map[string]any {
	if !has {
		return nil
	}
	return map[string]any{keyword: n}
}

// oneofRequired is the constraint of the oneofs of md that must have a
// member set ((buf.validate.oneof).required): one of their members is
// present.
func oneofRequired(md protoreflect.MessageDescriptor) []any {
	var out []any
	for i := 0; i < md.Oneofs().Len(); i++ {
		o := md.Oneofs().Get(i)
		if o.IsSynthetic() || !oneofRules(o).GetRequired() {
			continue
		}
		var alts []any
		for j := 0; j < o.Fields().Len(); j++ {
			alts = append(alts, map[string]any{"required": []any{o.Fields().Get(j).JSONName()}})
		}
		out = append(out, map[string]any{"anyOf": alts})
	}
	return out
}

// paramRules is the rules of the field a path parameter sets, at path
// from md, and that field; no rules when a field on the way has its rules
// ignored (IGNORE_ALWAYS).
func paramRules(md protoreflect.MessageDescriptor, path []string) (pvField, protoreflect.FieldDescriptor) {
	var fd protoreflect.FieldDescriptor
	var pf pvField
	for i, name := range path {
		if i > 0 {
			md = fd.Message()
		}
		fd = md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return pvField{}, nil
		}
		if pf = pvFieldOf(fd); pf.always {
			return pvField{}, fd
		}
	}
	return pf, fd
}

// bodySchema is the schema of a request body that is a message md (body
// "*", or a body field's message), and whether an empty body breaks a rule.
// The fields at paths (from md) are set by the request's path, so the body
// need not have them: the schema is then md's with those fields (and the
// messages on the way to them) not required, written in place.
func (g *oapi) bodySchema(md protoreflect.MessageDescriptor, paths [][]string) (map[string]any, bool) {
	ref := g.messageSchema(md)
	s, ok := g.schemas[string(md.FullName())]
	if !ok || wkt(md) != nil || g.plain {
		return ref, false
	}
	under := map[string][][]string{} // a field's JSON name → the paths below it
	for _, p := range paths {
		if fd := md.Fields().ByName(protoreflect.Name(p[0])); fd != nil {
			under[fd.JSONName()] = append(under[fd.JSONName()], p[1:])
		}
	}
	req, _ := s["required"].([]any)
	var keep []any
	for _, n := range req {
		if _, set := under[n.(string)]; !set {
			keep = append(keep, n)
		}
	}
	var oneofs []any // the required oneofs no member of which the path sets
	all, _ := s["allOf"].([]any)
	for _, o := range all {
		set := false
		for _, alt := range o.(map[string]any)["anyOf"].([]any) {
			_, set1 := under[alt.(map[string]any)["required"].([]any)[0].(string)]
			set = set || set1
		}
		if !set {
			oneofs = append(oneofs, o)
		}
	}
	changed := len(keep) != len(req) || len(oneofs) != len(all)
	props, _ := s["properties"].(map[string]any)
	props = maps.Clone(props)
	for _, jn := range slices.Sorted(maps.Keys(under)) {
		fd := md.Fields().ByJSONName(jn)
		var deeper [][]string
		for _, p := range under[jn] {
			if len(p) > 0 {
				deeper = append(deeper, p)
			}
		}
		if len(deeper) == 0 || fd.Message() == nil || fd.IsList() || fd.IsMap() || pvFieldOf(fd).always {
			continue
		}
		inner, _ := g.bodySchema(fd.Message(), deeper)
		if _, isRef := inner["$ref"]; isRef {
			continue
		}
		changed = true
		p := map[string]any{"anyOf": []any{inner, map[string]any{"type": "null"}}}
		if old, ok := props[jn].(map[string]any); ok && old["description"] != nil {
			p["description"] = old["description"]
		}
		props[jn] = p
	}
	if !changed {
		return ref, len(req) > 0 || len(all) > 0
	}
	out := maps.Clone(s)
	out["properties"] = props
	delete(out, "required")
	if len(keep) > 0 {
		out["required"] = keep
	}
	delete(out, "allOf")
	if len(oneofs) > 0 {
		out["allOf"] = oneofs
	}
	return out, len(keep) > 0 || len(oneofs) > 0
}

// bodyFieldSchema is the schema of a request body that is the field fd
// (body: "field") of a request whose path template t sets fields, and
// whether an empty body breaks a rule.
func (g *oapi) bodyFieldSchema(fd protoreflect.FieldDescriptor, t *Template) (map[string]any, bool) {
	var paths [][]string
	for _, v := range t.Vars {
		if v.FieldPath[0] == string(fd.Name()) && len(v.FieldPath) > 1 {
			paths = append(paths, v.FieldPath[1:])
		}
	}
	s, required := g.ruledField(fd)
	if len(paths) == 0 || fd.Message() == nil || fd.IsList() || fd.IsMap() || g.plain || pvFieldOf(fd).always {
		return s, required
	}
	// the path sets the field: its message's rules apply, its own
	// required does not
	return g.bodySchema(fd.Message(), paths)
}

// zeroJSON is the JSON of the zero value of fd (without presence): what
// protojson reads when the field is absent.
func zeroJSON(fd protoreflect.FieldDescriptor) any {
	switch {
	case fd.IsList():
		return []any{}
	case fd.IsMap():
		return map[string]any{}
	}
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind:
		return ""
	case protoreflect.BoolKind:
		return false
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return "0"
	case protoreflect.EnumKind:
		if n := zeroEnum(fd.Enum()); n != "" {
			return n
		}
		return nil
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return nil
	}
	return 0.0
}

// zeroRefused reports whether the constraint c refuses the zero value of
// fd: then an absent field breaks a rule, so the document requires it.
func zeroRefused(fd protoreflect.FieldDescriptor, c map[string]any) bool {
	z := zeroJSON(fd)
	return z != nil && !accepts(c, z)
}

// accepts evaluates the constraints this file writes on a zero value (a
// string, a number, a bool, an empty array or object). Formats are
// asserted as protovalidate does: an empty string is none of them but a
// URI reference.
func accepts(c map[string]any, v any) bool {
	for k, want := range c {
		ok := true
		switch k {
		case "const":
			ok = jsonEqual(want, v)
		case "enum":
			ok = slices.ContainsFunc(want.([]any), func(e any) bool { return jsonEqual(e, v) })
		case "not":
			ok = !accepts(want.(map[string]any), v)
		case "anyOf":
			ok = slices.ContainsFunc(want.([]any), func(s any) bool { return accepts(s.(map[string]any), v) })
		case "allOf":
			for _, s := range want.([]any) {
				ok = ok && accepts(s.(map[string]any), v)
			}
		case "minLength", "maxLength":
			if s, isStr := v.(string); isStr {
				n, _ := sizeOf(want)
				l := uint64(utf8.RuneCountInString(s))
				ok = k == "minLength" && l >= n || k == "maxLength" && l <= n
			}
		case "pattern":
			if s, isStr := v.(string); isStr {
				re, err := regexp.Compile(want.(string))
				ok = err == nil && re.MatchString(s)
			}
		case "format":
			if s, isStr := v.(string); isStr {
				ok = s != "" || want == "uri-reference"
			}
		case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
			if x, isNum := v.(float64); isNum {
				b := toFloat(want)
				switch k {
				case "minimum":
					ok = x >= b
				case "maximum":
					ok = x <= b
				case "exclusiveMinimum":
					ok = x > b
				default:
					ok = x < b
				}
			}
		case "minItems", "minProperties":
			n, _ := sizeOf(want)
			ok = n == 0 // the zero value is empty
		}
		if !ok {
			return false
		}
	}
	return true
}

func jsonEqual(a, b any) bool {
	if x, ok := b.(float64); ok {
		switch a.(type) {
		case int, int64, uint32, uint64, float64:
			return toFloat(a) == x
		}
	}
	return a == b
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case uint32:
		return float64(n)
	case uint64:
		return float64(n)
	case float64:
		return n
	}
	return math.NaN()
}
