// Package conformance is a module of its own that checks the replies of
// httprule's generated routes against the OpenAPI document gctl writes for
// the same .proto, with libopenapi-validator, so that the validator's
// dependencies stay out of gox's core module.
package conformance
