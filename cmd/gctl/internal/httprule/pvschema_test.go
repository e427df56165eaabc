package httprule

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"github.com/bufbuild/protocompile"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// rulesDoc is the document of testdata/rules.proto, parsed.
func rulesDoc(t *testing.T) (raw []byte, doc map[string]any, files []protoreflect.FileDescriptor) {
	t.Helper()
	files, err := compile(t, "testdata", nil, "rules.proto")
	if err != nil {
		t.Fatal(err)
	}
	raw, err = OpenAPIJSON(files, OpenAPIOptions{Title: "Things", Version: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return raw, doc, files
}

// dig is the value at path in a decoded document ("" for a missing one).
func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	return v
}

// TestPVSchemaGolden checks the whole document of testdata/rules.proto
// against its golden file and that it is a valid OpenAPI 3.1 document.
func TestPVSchemaGolden(t *testing.T) {
	raw, _, _ := rulesDoc(t)
	validDocument(t, raw)
	golden := filepath.Join("testdata", "rules.openapi.json")
	if *update {
		if err := os.WriteFile(golden, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, want) {
		t.Errorf("%s is not what OpenAPIJSON writes (go test -run TestPVSchemaGolden -update)", golden)
	}
}

// TestPVSchemaRules checks each rule kind's schema, as a client reads it.
func TestPVSchemaRules(t *testing.T) {
	_, doc, _ := rulesDoc(t)
	schemas := dig(doc, "components", "schemas")
	prop := func(msg, field string) string {
		return toJSON(dig(schemas, "gox.test.rules.v1."+msg, "properties", field))
	}
	for _, c := range []struct{ msg, field, want string }{
		// strings
		{"Strings", "minMax", `{"maxLength":10,"minLength":3,"type":"string"}`},
		{"Strings", "exact", `{"maxLength":4,"minLength":4,"type":"string"}`},
		{"Strings", "pattern", `{"pattern":"^[a-z]+[0-9]*$","type":"string"}`},
		{"Strings", "prefix", `{"pattern":"^ab\\.","type":"string"}`},
		{"Strings", "suffix", `{"pattern":"\\.c$","type":"string"}`},
		{"Strings", "contains", `{"pattern":"x\\+y","type":"string"}`},
		{"Strings", "notContains", `{"not":{"pattern":"bad"},"type":"string"}`},
		{"Strings", "several", `{"allOf":[{"pattern":"^a"},{"pattern":"z$"}],"pattern":"^[a-z]+$","type":"string"}`},
		{"Strings", "fold", `{"pattern":"^[Kk` + "\u212a" + `]+[^\\n]$","type":"string"}`},
		{"Strings", "email", `{"format":"email","type":"string"}`},
		{"Strings", "hostname", `{"format":"hostname","type":"string"}`},
		{"Strings", "ip", `{"anyOf":[{"format":"ipv4"},{"format":"ipv6"}],"type":"string"}`},
		{"Strings", "ipv4", `{"format":"ipv4","type":"string"}`},
		{"Strings", "ipv6", `{"format":"ipv6","type":"string"}`},
		{"Strings", "uri", `{"format":"uri","type":"string"}`},
		{"Strings", "uriRef", `{"format":"uri-reference","type":"string"}`},
		{"Strings", "uuid", `{"format":"uuid","type":"string"}`},
		{"Strings", "address", `{"anyOf":[{"format":"hostname"},{"format":"ipv4"},{"format":"ipv6"}],"type":"string"}`},
		{"Strings", "tuuid", `{"pattern":"^[0-9A-Fa-f]{32}$","type":"string"}`},
		{"Strings", "ulid", `{"pattern":"^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$","type":"string"}`},
		{"Strings", "header", `{"pattern":"^:?[!#-'*+\\-.0-9A-Z\\^-z|~]+$","type":"string"}`},
		{"Strings", "in", `{"enum":["a","b"],"type":"string"}`},
		{"Strings", "notIn", `{"not":{"enum":["x"]},"type":"string"}`},
		{"Strings", "const", `{"const":"fixed","type":"string"}`},
		{"Strings", "optionalIn", `{"anyOf":[{"type":"null"},{"enum":["a","b"]}],"type":["string","null"]}`},
		{"Strings", "ifZero", `{"anyOf":[{"const":""},{"format":"email"}],"type":"string"}`},
		{"Strings", "required", `{"minLength":1,"type":"string"}`},
		// left out: a multi-line pattern, a length in bytes, CEL
		{"Strings", "multiline", `{"description":"multi-line ^ and $ need ECMA's m flag: left out","type":"string"}`},
		{"Strings", "bytesLen", `{"description":"a length in UTF-8 bytes has no JSON Schema keyword: left out","type":"string"}`},
		{"Strings", "cel", `{"description":"a CEL expression is not JSON Schema: left out","type":"string"}`},
		// numbers
		{"Numbers", "range", `{"exclusiveMinimum":0,"format":"int32","maximum":100,"type":"integer"}`},
		{"Numbers", "outside", `{"anyOf":[{"exclusiveMaximum":0},{"exclusiveMinimum":10}],"format":"int32","type":"integer"}`},
		{"Numbers", "in", `{"enum":[1,2,3],"format":"int64","maximum":4294967295,"minimum":0,"type":"integer"}`},
		{"Numbers", "notIn", `{"format":"int32","not":{"const":13},"type":"integer"}`},
		{"Numbers", "const", `{"const":7,"format":"int64","maximum":4294967295,"minimum":0,"type":"integer"}`},
		{"Numbers", "sfixed", `{"format":"int32","maximum":3,"minimum":-3,"type":"integer"}`},
		{"Numbers", "positive", `{"format":"int64","pattern":"^(?:[1-9][0-9]*)$","type":"string"}`},
		{"Numbers", "range64", `{"format":"int64","pattern":"^(?:-[1-5]|-?0|[1-9]|[1-9][0-9]|[1-9][0-9]{2})$","type":"string"}`},
		{"Numbers", "outside64", `{"format":"int64","pattern":"^(?:-(?:1[1-9]|[2-9][0-9]|[1-9][0-9]{2,})|1[1-9]|[2-9][0-9]|[1-9][0-9]{2,})$","type":"string"}`},
		{"Numbers", "max", `{"format":"uint64","pattern":"^(?:0|[1-9]|[1-9][0-9])$","type":"string"}`},
		{"Numbers", "in64", `{"enum":["0","5"],"format":"uint64","pattern":"^[0-9]+$","type":"string"}`},
		{"Numbers", "zeroIn", `{"enum":["0","-0","5"],"format":"int64","pattern":"^-?[0-9]+$","type":"string"}`},
		{"Numbers", "ratio", `{"exclusiveMaximum":1,"format":"double","minimum":0,"type":"number"}`},
		{"Numbers", "din", `{"enum":[0.5,1.5],"format":"double","type":"number"}`},
		// a float's bounds: the decimals protojson rounds to the bound
		{"Numbers", "weight", `{"exclusiveMinimum":0.09999999776482582,"format":"float","maximum":2.5000001192092896,"type":"number"}`},
		{"Numbers", "fconst", `{"exclusiveMaximum":0.10000000521540642,"exclusiveMinimum":0.09999999776482582,"format":"float","type":"number"}`},
		{"Numbers", "requiredInt", `{"format":"int32","not":{"const":0},"type":"integer"}`},
		{"Numbers", "wrapped", `{"format":"int32","minimum":1,"type":["integer","null"]}`},
		{"Numbers", "ifZero", `{"anyOf":[{"const":0},{"minimum":10}],"format":"int32","type":"integer"}`},
		{"Numbers", "must", `{"const":true,"type":"boolean"}`},
		// repeated, maps, bytes, enums
		{"Collections", "tags", `{"items":{"minLength":2,"type":"string"},"maxItems":5,"minItems":1,"type":"array","uniqueItems":true}`},
		{"Collections", "counts", `{"additionalProperties":{"format":"int32","minimum":0,"type":"integer"},"maxProperties":3,"minProperties":1,"propertyNames":{"maxLength":8},"type":"object"}`},
		{"Collections", "blob", `{"contentEncoding":"base64","pattern":"^[A-Za-z0-9+/_-]{3,6}=*$","type":"string"}`},
		{"Collections", "addr", `{"contentEncoding":"base64","pattern":"^(?:[A-Za-z0-9+/_-]{6}|[A-Za-z0-9+/_-]{22})=*$","type":"string"}`},
		{"Collections", "bytesPattern", `{"contentEncoding":"base64","description":"a pattern over bytes says nothing of their base64: left out","type":"string"}`},
		{"Collections", "colors", `{"items":{"allOf":[{"$ref":"#/components/schemas/gox.test.rules.v1.Color"}],"enum":["RED","GREEN"]},"type":"array"}`},
		{"Collections", "color", `{"allOf":[{"$ref":"#/components/schemas/gox.test.rules.v1.Color"}],"not":{"enum":["BLUE"]}}`},
		{"Collections", "constColor", `{"allOf":[{"$ref":"#/components/schemas/gox.test.rules.v1.Color"}],"const":"GREEN"}`},
		{"Collections", "ids", `{"items":{"anyOf":[{"enum":["0","-0"]},{"pattern":"^(?:10[1-9]|1[1-9][0-9]|[2-9][0-9]{2}|[1-9][0-9]{3,})$"}],"format":"int64","pattern":"^-?[0-9]+$","type":"string"},"type":"array"}`},
		{"Collections", "requiredList", `{"items":{"type":"string"},"minItems":1,"type":"array"}`},
		// messages: required, presence, ignored rules
		{"Thing", "id", `{"format":"uuid","minLength":1,"type":"string"}`},
		{"Thing", "at", `{"format":"date-time","type":"string"}`},
		{"Thing", "parent", `{"anyOf":[{"$ref":"#/components/schemas/gox.test.rules.v1.Thing-unvalidated"},{"type":"null"}],"description":"rules ignored here, the message's own too: Thing-unvalidated"}`},
		{"Thing-unvalidated", "id", `{"type":"string"}`},
		{"Thing-unvalidated", "at", `{"format":"date-time","type":["string","null"]}`},
	} {
		if got := prop(c.msg, c.field); got != c.want {
			t.Errorf("%s.%s:\n got %s\nwant %s", c.msg, c.field, got, c.want)
		}
	}
	// required: by the rule, and, for a field without presence, when the
	// rules refuse its zero value (what protojson reads when it is absent)
	for msg, want := range map[string]string{
		"Strings": `["minMax","exact","pattern","prefix","suffix","contains","email","hostname","ip","ipv4","ipv6","uri",` +
			`"uuid","tuuid","ulid","address","in","const","several","required","header","fold"]`,
		"Numbers":     `["range","outside","in","const","positive","outside64","weight","fconst","din","requiredInt","must"]`,
		"Collections": `["tags","counts","blob","addr","constColor","requiredList"]`,
		"Thing":       `["id","name","at"]`,
	} {
		if got := toJSON(dig(schemas, "gox.test.rules.v1."+msg, "required")); got != want {
			t.Errorf("%s required %s, want %s", msg, got, want)
		}
	}
	if got := toJSON(dig(schemas, "gox.test.rules.v1.Thing", "allOf")); got != `[{"anyOf":[{"required":["label"]},{"required":["code"]}]}]` {
		t.Errorf("required oneof: %s", got)
	}
	if got := dig(schemas, "gox.test.rules.v1.Thing-unvalidated", "required"); got != nil {
		t.Errorf("Thing-unvalidated has required %v", got)
	}

	paths := dig(doc, "paths")
	params := func(path, method string) map[string]string {
		out := map[string]string{}
		for _, p := range dig(paths, path, method, "parameters").([]any) {
			out[dig(p, "in").(string)+" "+dig(p, "name").(string)] = toJSON(p)
		}
		return out
	}
	get := params("/v1/things/{thing.id}", "get")
	for name, want := range map[string]string{
		"path thing.id": `{"description":"binds id","in":"path","name":"thing.id","required":true,"schema":{"format":"uuid","type":"string"}}`,
		// an absent limit is 0, which the rule refuses
		"query limit":        `{"in":"query","name":"limit","required":true,"schema":{"exclusiveMinimum":0,"format":"int32","maximum":100,"type":"integer"}}`,
		"query q":            `{"in":"query","name":"q","required":true,"schema":{"minLength":2,"type":"string"}}`,
		"query filter.owner": `{"in":"query","name":"filter.owner","required":true,"schema":{"minLength":1,"type":"string"}}`,
		// page is optional: its required size is so too, but not zero when sent
		"query page.size": `{"in":"query","name":"page.size","schema":{"format":"int32","not":{"const":0},"type":"integer"}}`,
		"query tags":      `{"in":"query","name":"tags","schema":{"items":{"type":"string"},"maxItems":3,"type":"array"}}`,
	} {
		if got := get[name]; got != want {
			t.Errorf("GetThing %s:\n got %s\nwant %s", name, got, want)
		}
	}
	rename := params("/v1/{name}:rename", "post")
	if got, want := rename["path name"], `{"in":"path","name":"name","required":true,"schema":{"maxLength":50,"minLength":1,"pattern":"^things/[^/]+$","type":"string"}}`; got != want {
		t.Errorf("RenameThing name:\n got %s\nwant %s", got, want)
	}
	body := func(path, method string) (string, any) {
		rb := dig(paths, path, method, "requestBody")
		return toJSON(dig(rb, "content", "application/json", "schema")), dig(rb, "required")
	}
	// the path sets name: the body need not have it
	if s, req := body("/v1/{name}:rename", "post"); !strings.Contains(s, `"required":["newName"]`) || req != true {
		t.Errorf("RenameThing body (required %v): %s", req, s)
	}
	// the path sets thing.id: the body (the thing) need not have it
	if s, req := body("/v1/things/{thing.id}", "patch"); !strings.Contains(s, `"required":["name","at"]`) || strings.Contains(s, `"$ref":"#/components/schemas/gox.test.rules.v1.Thing"`) || req != true {
		t.Errorf("UpdateThing body (required %v): %s", req, s)
	}
	if s, req := body("/v1/things", "post"); s != `{"$ref":"#/components/schemas/gox.test.rules.v1.CreateThingRequest"}` || req != true {
		t.Errorf("CreateThing body (required %v): %s", req, s)
	}
	if _, req := body("/v1/check", "post"); req != false {
		t.Errorf("Check body required %v: an empty Checked is valid", req)
	}
}

// TestPVSchemaNoRules: a file that does not import buf/validate, and one
// whose messages have no rules, are described as before.
func TestPVSchemaNoRules(t *testing.T) {
	const svc = `
service S {
  rpc Get(Req) returns (Req) { option (google.api.http) = {post: "/v1/get" body: "*"}; }
}
message Req {
  string name = 1;
  repeated int64 ids = 2;
  optional Req next = 3;
}`
	files, err := compile(t, "", map[string]string{
		"plain.proto": `syntax = "proto3"; package p; import "google/api/annotations.proto";` + svc,
		"imports.proto": `syntax = "proto3"; package q; import "google/api/annotations.proto";
import "buf/validate/validate.proto";` + svc,
	}, "plain.proto", "imports.proto")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		raw, err := OpenAPIJSON([]protoreflect.FileDescriptor{f}, OpenAPIOptions{})
		if err != nil {
			t.Fatal(err)
		}
		validDocument(t, raw)
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		pkg := string(f.Package())
		got := toJSON(dig(doc, "components", "schemas", pkg+".Req"))
		want := `{"additionalProperties":false,"properties":{"ids":{"items":{"format":"int64","pattern":"^-?[0-9]+$","type":"string"},"type":"array"},"name":{"type":"string"},"next":{"anyOf":[{"$ref":"#/components/schemas/` + pkg + `.Req"},{"type":"null"}]}},"type":"object"}`
		if got != want {
			t.Errorf("%s: p.Req %s", f.Path(), got)
		}
		if rb := toJSON(dig(doc, "paths", "/v1/get", "post", "requestBody", "required")); rb != "false" {
			t.Errorf("%s: request body required %s", f.Path(), rb)
		}
	}
}

// TestPVSchemaOwnValidateProto: the rules read the same when
// buf/validate/validate.proto is compiled from the user's import path (its
// options are then not gox's Go types) as from the copy gctl has built in.
func TestPVSchemaOwnValidateProto(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "rules.proto"))
	if err != nil {
		t.Fatal(err)
	}
	own := protodesc.ToFileDescriptorProto(validate.File_buf_validate_validate_proto)
	resolver := protocompile.ResolverFunc(func(path string) (protocompile.SearchResult, error) {
		switch path {
		case "rules.proto":
			return protocompile.SearchResult{Source: bytes.NewReader(src)}, nil
		case "buf/validate/validate.proto":
			return protocompile.SearchResult{Proto: own}, nil
		}
		fd, err := protoregistry.GlobalFiles.FindFileByPath(path)
		if err != nil {
			return protocompile.SearchResult{}, err
		}
		return protocompile.SearchResult{Desc: fd}, nil
	})
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(resolver), SourceInfoMode: protocompile.SourceInfoStandard}
	res, err := c.Compile(context.Background(), "rules.proto")
	if err != nil {
		t.Fatal(err)
	}
	if dep := res[0].Imports().Get(0).FileDescriptor; dep.Path() != "buf/validate/validate.proto" || dep == validate.File_buf_validate_validate_proto {
		t.Fatalf("validate.proto not compiled from the import path: %v", dep.Path())
	}
	got, err := OpenAPIJSON([]protoreflect.FileDescriptor{res[0]}, OpenAPIOptions{Title: "Things", Version: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := rulesDoc(t)
	if !bytes.Equal(got, want) {
		t.Error("the document differs when validate.proto comes from the import path")
	}
}

// TestPVSchemaRoundTrip is what a client notices: a request the document
// accepts passes protovalidate, and one it refuses is refused by
// protovalidate too. Each case changes one field of a valid request; the
// document's verdict is libopenapi-validator's on the HTTP request, the
// service's is protojson's and protovalidate's on the message.
func TestPVSchemaRoundTrip(t *testing.T) {
	raw, _, files := rulesDoc(t)
	d, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	plainV, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	formatV, errs := validator.NewValidator(d, config.WithFormatAssertions())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	pv, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	msgs := files[0].Messages()
	service := func(msg string, body []byte) error {
		m := dynamicpb.NewMessage(msgs.ByName(protoreflect.Name(msg)))
		if err := protojson.Unmarshal(body, m); err != nil {
			return err
		}
		return pv.Validate(m)
	}
	document := func(v validator.Validator, path string, body []byte) error {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if ok, verrs := v.ValidateHttpRequest(req); !ok {
			var msgs []string
			for _, e := range verrs {
				msgs = append(msgs, e.Message+": "+e.Reason)
				for _, se := range e.SchemaValidationErrors {
					msgs = append(msgs, se.Reason+" at "+se.KeywordLocation)
				}
			}
			return &docError{strings.Join(msgs, "; ")}
		}
		return nil
	}

	// a valid Checked: the rules of fields without presence apply to
	// their zero values, so most are set
	checked := map[string]any{
		"strings": map[string]any{
			"minMax": "abc", "exact": "abcd", "pattern": "abc1", "multiline": "a", "prefix": "ab.x",
			"suffix": "x.c", "contains": "x+y", "email": "a@example.com", "hostname": "example.com",
			"ip": "10.0.0.1", "ipv4": "10.0.0.1", "ipv6": "::1", "uri": "https://example.com/x",
			"uuid": "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "tuuid": "6ba7b8109dad11d180b400c04fd430c8",
			"ulid": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "address": "example.com", "in": "a", "const": "fixed",
			"bytesLen": "ab", "several": "abz", "required": "r", "header": "X-Trace-Id", "fold": "kK!",
		},
		"numbers": map[string]any{
			"range": 1, "outside": -1, "in": 1, "const": 7, "positive": "1", "outside64": "-11", "weight": 1, "fconst": 0.1,
			"din": 0.5, "requiredInt": 1, "must": true,
		},
		"collections": map[string]any{
			"tags": []any{"ab"}, "counts": map[string]any{"k": 1}, "blob": "AAA=", "addr": "AAAAAA==",
			"bytesPattern": "YQ==", "constColor": "GREEN", "requiredList": []any{"x"},
		},
	}
	thing := map[string]any{"thing": map[string]any{"id": "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "at": "2026-01-02T03:04:05Z", "label": "x", "name": "n"},
		"requestId": "6ba7b8109dad11d180b400c04fd430c8"}

	type tc struct {
		field string // dotted path of the changed field in the request
		value any    // its value; unset: remove the field
		valid bool
	}
	unset := struct{}{}
	for _, c := range []struct {
		msg, path string
		base      map[string]any
		format    bool // the document refuses it only when format is asserted
		cases     []tc
	}{
		{msg: "Checked", path: "/v1/check", base: checked, cases: []tc{
			{"strings.minMax", "ab", false}, {"strings.minMax", "abcdefghij", true}, {"strings.minMax", "abcdefghijk", false},
			{"strings.minMax", "ñññ", true}, {"strings.minMax", "日本", false},
			{"strings.exact", "abc", false}, {"strings.exact", "abcde", false},
			{"strings.pattern", "abc", true}, {"strings.pattern", "Abc", false}, {"strings.pattern", "ab1c", false},
			{"strings.prefix", "abx", false}, {"strings.suffix", "xc", false},
			{"strings.contains", "ax+yb", true}, {"strings.contains", "axyb", false},
			{"strings.notContains", "good", true}, {"strings.notContains", "so bad", false},
			{"strings.in", "b", true}, {"strings.in", "c", false}, {"strings.in", "", false},
			{"strings.notIn", "y", true}, {"strings.notIn", "x", false},
			{"strings.const", "other", false},
			{"strings.several", "aBz", false}, {"strings.several", "abc", false}, {"strings.several", "bz", false},
			{"strings.optionalIn", "a", true}, {"strings.optionalIn", "c", false}, {"strings.optionalIn", nil, true},
			{"strings.required", "", false}, {"strings.required", unset, false},
			{"strings.header", "bad header", false}, {"strings.header", ":authority", true},
			{"strings.fold", "\u212aK.", true}, {"strings.fold", "k", false}, {"strings.fold", "k\n", false},
			{"strings.tuuid", "6ba7b810", false}, {"strings.ulid", "81ARZ3NDEKTSV4RRFFQ69G5FAV", false},
			{"strings.ifZero", "", true}, {"strings.ifZero", "b@example.com", true},
			{"strings.cel", "z", true},
			{"numbers.range", 0, false}, {"numbers.range", 100, true}, {"numbers.range", 101, false},
			{"numbers.outside", 5, false}, {"numbers.outside", 0, false}, {"numbers.outside", 11, true}, {"numbers.outside", 10, false},
			{"numbers.in", 3, true}, {"numbers.in", 4, false}, {"numbers.notIn", 13, false}, {"numbers.notIn", 12, true},
			{"numbers.const", 8, false}, {"numbers.sfixed", -3, true}, {"numbers.sfixed", 4, false},
			{"numbers.positive", "0", false}, {"numbers.positive", "9223372036854775807", true}, {"numbers.positive", "-1", false},
			{"numbers.range64", "-6", false}, {"numbers.range64", "-5", true}, {"numbers.range64", "999", true},
			{"numbers.range64", "1000", false}, {"numbers.range64", "-0", true},
			{"numbers.outside64", "10", false}, {"numbers.outside64", "11", true}, {"numbers.outside64", "-10", false},
			{"numbers.outside64", "-11", true}, {"numbers.outside64", "-9223372036854775808", true},
			{"numbers.max", "99", true}, {"numbers.max", "100", false}, {"numbers.max", "18446744073709551615", false},
			{"numbers.in64", "5", true}, {"numbers.in64", "6", false}, {"numbers.zeroIn", "-0", true}, {"numbers.zeroIn", "1", false},
			{"numbers.ratio", 0.999, true}, {"numbers.ratio", 1, false}, {"numbers.ratio", -0.0001, false},
			// a float: protojson rounds to 32 bits, then protovalidate compares
			{"numbers.weight", 0.1, true}, {"numbers.weight", 0.09999999, false}, {"numbers.weight", 0.099999998, true},
			{"numbers.weight", 2.5000001, true}, {"numbers.weight", 2.5000002, false},
			{"numbers.fconst", 0.10000000149011612, true}, {"numbers.fconst", 0.1000001, false},
			{"numbers.din", 1.5, true}, {"numbers.din", 1, false},
			{"numbers.requiredInt", 0, false}, {"numbers.requiredInt", unset, false},
			{"numbers.wrapped", 0, false}, {"numbers.wrapped", 1, true}, {"numbers.wrapped", nil, true},
			{"numbers.ifZero", 0, true}, {"numbers.ifZero", 5, false}, {"numbers.ifZero", 10, true},
			{"numbers.must", false, false},
			{"collections.tags", []any{}, false}, {"collections.tags", []any{"ab", "ab"}, false},
			{"collections.tags", []any{"a"}, false}, {"collections.tags", []any{"ab", "cd", "ef", "gh", "ij", "kl"}, false},
			{"collections.counts", map[string]any{}, false}, {"collections.counts", map[string]any{"k": -1}, false},
			{"collections.counts", map[string]any{"longerkey": 1}, false}, {"collections.counts", map[string]any{"a": 0, "b": 2}, true},
			{"collections.blob", "AA==", false}, {"collections.blob", "AAAAAA", true}, {"collections.blob", "AAAAAA==", true},
			{"collections.blob", "AAAAAAA=", false}, {"collections.blob", "AAA", true}, {"collections.blob", "-_8", true},
			{"collections.addr", "AAAAAAAAAAAAAAAAAAAAAA==", true}, {"collections.addr", "AAAAAAAA", false},
			{"collections.colors", []any{"RED", "GREEN"}, true}, {"collections.colors", []any{"BLUE"}, false},
			{"collections.color", "BLUE", false}, {"collections.color", "RED", true},
			{"collections.constColor", "RED", false},
			{"collections.ids", []any{"0", "101"}, true}, {"collections.ids", []any{"100"}, false},
			{"collections.requiredList", []any{}, false},
		}},
		{msg: "Checked", path: "/v1/check", base: checked, format: true, cases: []tc{
			{"strings.email", "not an email", false}, {"strings.uuid", "6ba7b810-9dad", false},
			{"strings.ipv4", "::1", false}, {"strings.ipv6", "10.0.0.1", false}, {"strings.ip", "::1", true},
			{"strings.ip", "10.0.0", false}, {"strings.hostname", "-x.example.com", false},
			{"strings.uri", "https://example.com/a?b#c", true}, {"strings.uri", "/relative", false},
			{"strings.uriRef", "/relative", true}, {"strings.address", "10.0.0.1", true},
		}},
		{msg: "CreateThingRequest", path: "/v1/things", base: thing, cases: []tc{
			{"thing", unset, false}, {"thing", nil, false},
			{"thing.label", unset, false}, {"thing.code", 3, false}, {"thing.label", "abcdef", false},
			{"thing.id", "", false}, {"thing.at", unset, false}, {"thing.name", "", false}, {"thing.name", unset, false},
			// the parent's rules are ignored: an invalid parent is accepted
			{"thing.parent", map[string]any{"name": "", "label": "abcdefgh"}, true},
			{"requestId", "xyz", false}, {"requestId", unset, false}, {"requestId", "6BA7B8109DAD11D180B400C04FD430C8", true},
		}},
	} {
		for _, tc := range c.cases {
			body := with(c.base, tc.field, tc.value, unset)
			name := c.msg + " " + tc.field + "=" + string(toJSONBytes(tc.value))
			if tc.value == unset {
				name = c.msg + " without " + tc.field
			}
			v := plainV
			if c.format {
				v = formatV
			}
			docErr := document(v, c.path, body)
			svcErr := service(c.msg, body)
			if (docErr == nil) != tc.valid || (svcErr == nil) != tc.valid {
				t.Errorf("%s: want valid=%v; document: %v; protovalidate: %v", name, tc.valid, docErr, svcErr)
			}
		}
		// the base request is valid for both
		if err := document(plainV, c.path, toJSONBytes(c.base)); err != nil {
			t.Errorf("%s: the document refuses the base request: %v", c.msg, err)
		}
		if err := service(c.msg, toJSONBytes(c.base)); err != nil {
			t.Errorf("%s: protovalidate refuses the base request: %v", c.msg, err)
		}
	}
}

type docError struct{ msg string }

func (e *docError) Error() string { return "document: " + e.msg }

func toJSONBytes(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// with is base as JSON with the field at the dotted path set to v, or
// removed when v is unset.
func with(base map[string]any, path string, v, unset any) []byte {
	var clone func(m map[string]any) map[string]any
	clone = func(m map[string]any) map[string]any {
		c := maps.Clone(m)
		for k, x := range c {
			if sub, ok := x.(map[string]any); ok {
				c[k] = clone(sub)
			}
		}
		return c
	}
	root := clone(base)
	m := root
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		m = m[p].(map[string]any)
	}
	last := parts[len(parts)-1]
	if v == unset {
		delete(m, last)
	} else {
		m[last] = v
	}
	return toJSONBytes(root)
}
