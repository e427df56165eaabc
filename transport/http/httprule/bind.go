package httprule

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// fieldByName finds a field of md by its proto name or, for query
// parameters, its JSON name.
func fieldByName(md protoreflect.MessageDescriptor, name string, jsonToo bool) protoreflect.FieldDescriptor {
	if fd := md.Fields().ByName(protoreflect.Name(name)); fd != nil {
		return fd
	}
	if jsonToo {
		return md.Fields().ByJSONName(name)
	}
	return nil
}

// resolvePath resolves a dotted field path in md: every field but the last a
// singular message.
func resolvePath(md protoreflect.MessageDescriptor, path []string, jsonToo bool) ([]protoreflect.FieldDescriptor, error) {
	fds := make([]protoreflect.FieldDescriptor, 0, len(path))
	for i, name := range path {
		fd := fieldByName(md, name, jsonToo)
		if fd == nil {
			return nil, fmt.Errorf("%s has no field %q", md.FullName(), name)
		}
		fds = append(fds, fd)
		if i < len(path)-1 {
			if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() {
				return nil, fmt.Errorf("field %q of %s is not a message, so it has no field %q", name, md.FullName(), path[i+1])
			}
			md = fd.Message()
		}
	}
	return fds, nil
}

// setPath sets the field at fds in m from its text form, appending to a
// repeated field.
func setPath(m protoreflect.Message, fds []protoreflect.FieldDescriptor, text string) error {
	for _, fd := range fds[:len(fds)-1] {
		m = m.Mutable(fd).Message()
	}
	fd := fds[len(fds)-1]
	switch {
	case fd.IsMap():
		return fmt.Errorf("a map field cannot be set from a parameter")
	case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
		if fd.IsList() {
			el := m.Mutable(fd).List().NewElement()
			if err := setMessage(el.Message(), text); err != nil {
				return err
			}
			m.Mutable(fd).List().Append(el)
			return nil
		}
		return setMessage(m.Mutable(fd).Message(), text)
	}
	v, err := scalar(fd, text)
	if err != nil {
		return err
	}
	if fd.IsList() {
		m.Mutable(fd).List().Append(v)
		return nil
	}
	m.Set(fd, v)
	return nil
}

// setMessage sets a well-known type from its text form: Timestamp (RFC 3339),
// Duration ("1.5s"), FieldMask ("a,b.c"), and the wrappers (their value).
func setMessage(m protoreflect.Message, text string) error {
	md := m.Descriptor()
	switch md.FullName() {
	case "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask":
		if err := (protojson.UnmarshalOptions{}).Unmarshal(strconv.AppendQuote(nil, text), m.Interface()); err != nil {
			return fmt.Errorf("not a valid %s: %q", md.Name(), text)
		}
		return nil
	case "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
		"google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
		"google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue":
		fd := md.Fields().ByName("value")
		v, err := scalar(fd, text)
		if err != nil {
			return err
		}
		m.Set(fd, v)
		return nil
	}
	return fmt.Errorf("a %s message cannot be set from a parameter", md.FullName())
}

// scalar parses text as fd's scalar type, as protojson reads it from a
// JSON string: enums by name (or number), bytes as base64.
func scalar(fd protoreflect.FieldDescriptor, text string) (protoreflect.Value, error) {
	bad := func() (protoreflect.Value, error) {
		return protoreflect.Value{}, fmt.Errorf("%q is not a valid %s", text, kindName(fd))
	}
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(text), nil
	case protoreflect.BoolKind:
		switch text {
		case "true", "1":
			return protoreflect.ValueOfBool(true), nil
		case "false", "0":
			return protoreflect.ValueOfBool(false), nil
		}
		return bad()
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByName(protoreflect.Name(text)); ev != nil {
			return protoreflect.ValueOfEnum(ev.Number()), nil
		}
		if n, err := strconv.ParseInt(text, 10, 32); err == nil {
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber(n)), nil
		}
		return bad()
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err := strconv.ParseInt(text, 10, 32)
		if err != nil {
			return bad()
		}
		return protoreflect.ValueOfInt32(int32(n)), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return bad()
		}
		return protoreflect.ValueOfInt64(n), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, err := strconv.ParseUint(text, 10, 32)
		if err != nil {
			return bad()
		}
		return protoreflect.ValueOfUint32(uint32(n)), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n, err := strconv.ParseUint(text, 10, 64)
		if err != nil {
			return bad()
		}
		return protoreflect.ValueOfUint64(n), nil
	case protoreflect.FloatKind:
		f, err := strconv.ParseFloat(text, 32)
		if err != nil || math.IsInf(f, 0) && !strings.Contains(strings.ToLower(text), "inf") {
			return bad()
		}
		return protoreflect.ValueOfFloat32(float32(f)), nil
	case protoreflect.DoubleKind:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return bad()
		}
		return protoreflect.ValueOfFloat64(f), nil
	case protoreflect.BytesKind:
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(text); err == nil {
				return protoreflect.ValueOfBytes(b), nil
			}
		}
		return bad()
	}
	return bad()
}

func kindName(fd protoreflect.FieldDescriptor) string {
	if fd.Kind() == protoreflect.EnumKind {
		return "value of enum " + string(fd.Enum().FullName())
	}
	return fd.Kind().String()
}
