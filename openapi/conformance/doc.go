// Package conformance checks gox's OpenAPI documents (package openapi)
// against an outside implementation of the specification: each document is
// validated with pb33f/libopenapi and libopenapi-validator, and so are a
// live service's requests and responses against it: hand-written routes,
// and the routes gctl gen api generated from a Go interface
// (examples/users). It is a module of its
// own so that the validator's dependencies stay out of gox's core module.
package conformance
