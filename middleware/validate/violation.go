package validate

import (
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/goxkit/gox/errors"
)

// ReasonInvalidField is the reason of a request that breaks its rules; gox's
// HTTP decoding uses it for a mistyped field too.
const ReasonInvalidField = "INVALID_FIELD"

// MetadataField is the metadata key naming the bad fields.
const MetadataField = "field"

// Violation is one rule a request breaks.
type Violation struct {
	// Field is the path of the field as the client names it:
	// "items[2].name"; "(root)" for a rule on the whole request.
	Field string
	// Rule names the rule: a `binding` tag ("required", "min") or a
	// protovalidate rule id ("string.min_len").
	Rule string
	// Description says what is wrong, for a person; "" for a struct tag
	// (the rule says it).
	Description string
}

// Violations are the rules a request breaks, in the order found. It is the
// cause of the error Validate returns.
type Violations []Violation

// Error implements error: the message of the error Err returns.
func (vs Violations) Error() string {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString("field ")
		b.WriteString(strconv.Quote(v.Field))
		b.WriteString(" fails ")
		b.WriteString(strconv.Quote(v.Rule))
		if v.Description != "" {
			b.WriteString(": ")
			b.WriteString(v.Description)
		}
	}
	return b.String()
}

// Err returns vs as gox's error: 400, reason INVALID_FIELD, the message
// listing each field and rule, metadata "field" naming the fields, vs as
// its cause.
func (vs Violations) Err() *errors.Error {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Field
	}
	// one copy and one stack capture (WithCause's), not three: an invalid
	// request is an ordinary request, not a rare failure
	e := &errors.Error{Code: http.StatusBadRequest, Reason: ReasonInvalidField, Message: vs.Error(),
		Metadata: map[string]string{MetadataField: FieldList(names...)}}
	return e.WithCause(vs)
}

// BadRequest returns vs as a google.rpc.BadRequest, one FieldViolation per
// violation: the field and a description (the rule and what is wrong).
// transport/grpc sends it as a status detail. Reason is left empty: the API
// guide wants UPPER_SNAKE_CASE there, and rule ids are not.
func (vs Violations) BadRequest() *errdetails.BadRequest {
	br := &errdetails.BadRequest{FieldViolations: make([]*errdetails.BadRequest_FieldViolation, len(vs))}
	for i, v := range vs {
		desc := "fails " + strconv.Quote(v.Rule)
		if v.Description != "" {
			desc += ": " + v.Description
		}
		br.FieldViolations[i] = &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: desc}
	}
	return br
}

// FieldList is the "field" metadata for names: ","-separated, a "%" or ","
// inside a name (a map key may hold any) written as %25 or %2C, so
// splitting on "," and url.PathUnescape give each name back. It is the
// form transport/http writes.
func FieldList(names ...string) string {
	escaped := make([]string, len(names))
	for i, n := range names {
		escaped[i] = fieldEscaper.Replace(n)
	}
	return strings.Join(escaped, ",")
}

var fieldEscaper = strings.NewReplacer("%", "%25", ",", "%2C")
