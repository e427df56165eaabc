// Package httprule generates gox's HTTP bindings of gRPC services from their
// google.api.http rules (google/api/http.proto), and the OpenAPI 3.1
// document of those bindings.
//
// Input is compiled descriptors (protoreflect.FileDescriptor, with source
// info for comments and positions). Services reads and checks a file's
// rules; GenerateGo writes a file's <name>_http.gox.go (GoFileName), in the
// package of protoc-gen-go's output, with a Register<Service>HTTP(r, srv)
// per service that registers every binding on a gox HTTP server or route
// group for the implementation of protoc-gen-go-grpc's <Service>Server;
// the routes run on github.com/goxkit/gox/transport/http/httprule, which
// documents how requests bind and replies and errors are written. OpenAPI
// and OpenAPIJSON write the document (swaggest/openapi-go's openapi31).
//
// # Rules
//
// Every rule form of http.proto is served: get, put, post, delete, patch
// and custom patterns; templates with literals, '*', '**' (last), variables
// {field.path} and {field.path=segments}, and a ":verb"; body "*", a
// top-level field, or none; response_body; additional_bindings. Each route
// runs under the operation name of its gRPC method, "/pkg.Service/Method",
// so a middleware selector or governance rule written for the method covers
// both transports (transport/http's own routes are named "METHOD /path").
//
// A rule gox cannot serve is an error naming the file, line and column of
// the rule (an additional binding by its index too): a template that does
// not parse; a variable naming a field the request does not have, or a
// repeated, map or message field; a body or response_body naming a missing
// field; a streaming method; two bindings of a file with the same method and
// path (variable names aside).
//
// # Declared errors
//
// A method declares the errors its implementation returns in its leading
// comment, one or more lines of
//
//	// errors: 404 BOOK_NOT_FOUND, 409 BOOK_EXISTS
//
// each item an HTTP error status (400 to 599) and the reason in upper snake
// case, the gox error (errors.New(404, "BOOK_NOT_FOUND", ...), or a gRPC
// status of that class with an ErrorInfo of that reason) the client gets.
// The lines need no import and are left out of the operation's description.
// A malformed line is an error naming the file and line.
//
// # OpenAPI
//
// One operation per binding: operationId "<Service>_<Method>", with "_<n>"
// for the n-th additional binding; the method's leading comment as summary
// (its first line) and description; path parameters named by field path (a
// variable over several segments is one parameter with a pattern, its '/'
// sent escaped as %2F, which the runtime accepts); query parameters for the
// fields neither the path nor the body binds, by JSON name and dotted path;
// request and 200 response bodies; messages in components/schemas under
// their full names, in protojson's mapping: 64-bit integers as strings with
// format int64, enums as string enums of their value names, Timestamp as a
// date-time string, Duration as a string, wrappers and unset messages as
// nullable, Struct as an object, Value as any, Any as an object with
// "@type", maps as objects with additionalProperties, a oneof's members
// described and mutually exclusive. Error responses are every status gox's
// chain answers with (the binding's 400 INVALID_FIELD / MALFORMED_JSON, 404
// ROUTE_NOT_FOUND, 405, 413 with a body, governance's 429 RATE_LIMITED and
// 503 OVERLOADED / CONCURRENCY_LIMITED / RATE_LIMITER_UNAVAILABLE, 504
// DEADLINE_TOO_SHORT / TIMEOUT, 500 INTERNAL / PANIC) and those the method
// declares, each with its reasons as an enum, in transport/http's envelope
// or, with OpenAPIOptions.Problem, as problem+json; a default response
// covers the rest. A custom method OpenAPI has no operation for (not HEAD,
// OPTIONS or TRACE) is served but not described.
//
// The buf.validate rules of the messages (what protovalidate checks, and
// gox answers 400 INVALID_FIELD to) are constraints of their schemas and of
// the parameters (pvschema.go): required properties (a field with a rule
// that refuses its zero value too: protojson reads an absent field as
// zero), lengths, patterns (RE2 written in the syntax ECMA-262 shares),
// formats, enums, ranges (64-bit integers as patterns of their decimal
// strings, floats widened to what rounds into range), item and size rules,
// required oneofs. A rule JSON Schema cannot state exactly (CEL, byte
// lengths of strings, ...) is left out, so the document never refuses what
// the service accepts; docs/validation.md has the table.
package httprule
