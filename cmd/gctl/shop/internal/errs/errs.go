// scaffolded by gctl; safe to edit.

// Package errs is the service's error catalog. Return these from handlers:
// HTTP renders them in the configured format, gRPC as a status with details,
// and a gox client gets them back so that errors.Is(err, errs.ErrX) holds on
// the caller's side too.
package errs

import "github.com/goxkit/gox/errors"

var (
	// ErrNameRequired is returned when a greeting has no name.
	ErrNameRequired = errors.BadRequest("NAME_REQUIRED", "a name is required")
	// ErrNobody is returned for the name nobody: there is no one to greet.
	ErrNobody = errors.NotFound("NOBODY", "there is nobody to greet")
)
