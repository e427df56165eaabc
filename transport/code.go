package transport

import "github.com/goxkit/gox/errors"

// StatusCoder is implemented by Transporters that know the status they
// answered with (HTTP: what the handler wrote, 201 say).
type StatusCoder interface {
	StatusCode() int
}

// Code is the code to record for a finished call: the error's code when it
// failed, else the status the transport wrote, else 200.
func Code(tr Transporter, err error) int {
	if err != nil {
		return errors.Code(err)
	}
	if sc, ok := tr.(StatusCoder); ok {
		if c := sc.StatusCode(); c > 0 {
			return c
		}
	}
	return 200
}
