package httprule

import (
	"strings"
	"testing"
)

const badHeader = `syntax = "proto3";
package bad.v1;
import "google/api/annotations.proto";
option go_package = "example.com/bad/v1;badv1";
message Req { string name = 1; repeated string tags = 2; Inner inner = 3; map<string,string> m = 4; }
message Inner { int64 id = 1; }
message Resp { string out = 1; }
service S {
`

// TestBadRules: each mistake is an error naming the file, the line and
// column of the rule, and what is wrong.
func TestBadRules(t *testing.T) {
	for _, tc := range []struct {
		name, rpcs, pos, msg string
	}{
		{"missing field", `  rpc A(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{nope}"}; }`,
			"bad.proto:9:31", `path variable {nope} in "/v1/{nope}": bad.v1.Req has no field "nope"`},
		{"missing nested field", `  rpc A(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{inner.nope}"}; }`,
			"bad.proto:9:31", `bad.v1.Inner has no field "nope"`},
		{"repeated variable", `  rpc A(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{tags}"}; }`,
			"bad.proto:9:31", `field bad.v1.Req.tags is repeated; a path variable binds a singular field`},
		{"message variable", `  rpc A(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{inner}"}; }`,
			"bad.proto:9:31", `field bad.v1.Req.inner is a message (bad.v1.Inner)`},
		{"map variable", `  rpc A(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{m}"}; }`,
			"bad.proto:9:31", `field bad.v1.Req.m is a map`},
		{"missing body field", `  rpc A(Req) returns (Resp) { option (google.api.http) = {post: "/v1/a" body: "nope"}; }`,
			"bad.proto:9:31", `body "nope": bad.v1.Req has no field "nope"`},
		{"missing response_body", `  rpc A(Req) returns (Resp) { option (google.api.http) = {get: "/v1/a" response_body: "nope"}; }`,
			"bad.proto:9:31", `response_body "nope": bad.v1.Resp has no field "nope"`},
		{"invalid template", `  rpc A(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{name"}; }`,
			"bad.proto:9:31", `invalid path template "/v1/{name": path template, at byte 9: variable "name" is not closed by '}'`},
		{"deep wildcard not last", `  rpc A(Req) returns (Resp) { option (google.api.http) = {get: "/v1/**/x"}; }`,
			"bad.proto:9:31", `'**' must be the last segment`},
		{"same method and path", "  rpc A(Req) returns (Resp) { option (google.api.http) = {get: \"/v1/{name}\"}; }\n" +
			`  rpc B(Req) returns (Resp) { option (google.api.http) = {get: "/v1/{name}"}; }`,
			"bad.proto:10:31", `GET /v1/{name} has the same method and path as the binding of bad.v1.S.A at bad.proto:9:31`},
		{"same path in an additional binding", "  rpc A(Req) returns (Resp) { option (google.api.http) = {\n" +
			"    get: \"/v1/{name}\"\n    additional_bindings { get: \"/v1/{name}\" }\n  }; }",
			"bad.proto:9:31", `additional_bindings[0]: GET /v1/{name} has the same method and path as the binding of bad.v1.S.A at bad.proto:9:31`},
		{"streaming", `  rpc A(stream Req) returns (Resp) { option (google.api.http) = {post: "/v1/a" body: "*"}; }`,
			"bad.proto:9:38", `streams`},
		{"malformed errors line", "  // Does A.\n  // errors: 404\n  rpc A(Req) returns (Resp) { option (google.api.http) = {get: \"/v1/a\"}; }",
			"bad.proto:10:1", `errors: declaration "404" of bad.v1.S.A: each item is "<status> <REASON>"`},
		{"errors line with a bad status", "  // errors: 200 OK_THEN\n  rpc A(Req) returns (Resp) { option (google.api.http) = {get: \"/v1/a\"}; }",
			"bad.proto:9:1", `the status "200" is not an error status`},
		{"errors line with a bad reason", "  // errors: 404 not_found\n  rpc A(Req) returns (Resp) { option (google.api.http) = {get: \"/v1/a\"}; }",
			"bad.proto:9:1", `the reason "not_found" is not in upper snake case`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := compile(t, "", map[string]string{"bad.proto": badHeader + tc.rpcs + "\n}\n"}, "bad.proto")
			if err != nil {
				t.Fatal(err)
			}
			_, err = GenerateGo(files[0])
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), tc.pos+": ") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q\nwant at %s, containing %q", err, tc.pos, tc.msg)
			}
		})
	}
}

func TestNoBindingsNoFile(t *testing.T) {
	files, err := compile(t, "", map[string]string{"a.proto": `syntax = "proto3"; package a; message M {} service S { rpc A(M) returns (M); }`}, "a.proto")
	if err != nil {
		t.Fatal(err)
	}
	src, err := GenerateGo(files[0])
	if err != nil || src != nil {
		t.Errorf("got %q, %v; want nothing", src, err)
	}
}

func TestParseTemplate(t *testing.T) {
	for _, tc := range []struct{ in, canon string }{
		{"/v1/{name}", "/v1/{name}"},
		{"/v1/{name=*}", "/v1/{name}"},
		{"/v1/{name=shelves/*/books/*}:get", "/v1/{name=shelves/*/books/*}:get"},
		{"/v1/{a.b.c=**}", "/v1/{a.b.c=**}"},
		{"/v1/*/x:do", "/v1/*/x:do"},
		{"/v1/a%20b", "/v1/a%20b"},
	} {
		tm, err := ParseTemplate(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got := tm.String(); got != tc.canon {
			t.Errorf("%s: String() = %s, want %s", tc.in, got, tc.canon)
		}
	}
	for _, in := range []string{"", "v1", "/", "/v1/", "//", "/v1/{}", "/v1/{a=}", "/v1/{a={b}}", "/v1/{a", "/v1/**/b",
		"/v1/a:", "/v1/a:b:c", "/v1/{a}/{a}", "/v1/a b", "/v1/%zz", "/v1/{1a}", "/v1/a*"} {
		if tm, err := ParseTemplate(in); err == nil {
			t.Errorf("%q parsed as %s", in, tm)
		}
	}
}

// FuzzParseTemplate: the parser never panics, and what it accepts prints
// to a template that parses to the same thing.
func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"/v1/{name}", "/v1/{name=shelves/*/books/*}:get", "/v1/{a.b=**}", "/a/*/b/**", "/v1/x%2Fy:do", "/{a}/{b=c/*}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTemplate(s)
		if err != nil {
			return
		}
		again, err := ParseTemplate(tm.String())
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", s, tm.String(), err)
		}
		if again.String() != tm.String() {
			t.Fatalf("%q: %q reprinted as %q", s, tm.String(), again.String())
		}
	})
}
