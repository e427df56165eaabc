// Package protovalidate checks proto messages against their buf.validate
// rules (buf.build/go/protovalidate) for gox's validation middleware:
//
//	pv, err := protovalidate.New()
//	if err != nil { ... }
//	grpcSrv, _ := xgrpc.NewServer(cfg, xgrpc.WithMiddleware(validate.Server(validate.WithProto(pv))))
//
// It lives in a module of its own because protovalidate brings cel-go and
// its ANTLR runtime: about 9 MB of binary that a service without proto rules
// should not carry. The struct-tag half of validation is in gox's core
// (middleware/validate).
//
// Field paths are proto field names with protovalidate's subscripts
// ("items[2].name", `labels["k"]`); a rule on the message itself (a CEL
// expression) is reported on "(root)".
package protovalidate

import (
	stderrors "errors"
	"fmt"

	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/proto"

	"github.com/goxkit/gox/middleware/validate"
)

var _ validate.ProtoValidator = (*Validator)(nil)

// Validator is a compiled protovalidate validator: rules are compiled once
// per message type, on first use, and reused. It is safe for concurrent use.
type Validator struct {
	v        protovalidate.Validator
	failFast []protovalidate.ValidationOption
}

// New returns a Validator. opts are protovalidate's (WithMessages to compile
// rules at start rather than on the first request, WithNowFunc, ...).
func New(opts ...protovalidate.ValidatorOption) (*Validator, error) {
	v, err := protovalidate.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("protovalidate: %w", err)
	}
	return &Validator{v: v, failFast: []protovalidate.ValidationOption{protovalidate.WithFailFast()}}, nil
}

// ValidateProto implements validate.ProtoValidator.
func (p *Validator) ValidateProto(msg proto.Message, failFast bool) ([]validate.Violation, error) {
	var err error
	if failFast {
		err = p.v.Validate(msg, p.failFast...)
	} else {
		err = p.v.Validate(msg)
	}
	if err == nil {
		return nil, nil
	}
	verr, ok := stderrors.AsType[*protovalidate.ValidationError](err)
	if !ok {
		return nil, err // a rule that does not compile or evaluate
	}
	vs := make([]validate.Violation, len(verr.Violations))
	for i, v := range verr.Violations {
		field := protovalidate.FieldPathString(v.Proto.GetField())
		if field == "" {
			field = "(root)"
		}
		vs[i] = validate.Violation{Field: field, Rule: v.Proto.GetRuleId(), Description: v.Proto.GetMessage()}
	}
	return vs, nil
}
