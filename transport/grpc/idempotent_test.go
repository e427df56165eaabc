package grpc

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// A method's idempotency_level option makes it retryable; a method without
// it is not, unless the client lists it.
func TestIdempotencyFromTheProto(t *testing.T) {
	method := func(name string, lvl *descriptorpb.MethodOptions_IdempotencyLevel) *descriptorpb.MethodDescriptorProto {
		m := &descriptorpb.MethodDescriptorProto{Name: proto.String(name), InputType: proto.String(".goxtest.idem.M"), OutputType: proto.String(".goxtest.idem.M")}
		if lvl != nil {
			m.Options = &descriptorpb.MethodOptions{IdempotencyLevel: lvl}
		}
		return m
	}
	fdp := &descriptorpb.FileDescriptorProto{
		Name:        proto.String("goxtest/idem.proto"),
		Package:     proto.String("goxtest.idem"),
		Syntax:      proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("M")}},
		Service: []*descriptorpb.ServiceDescriptorProto{{Name: proto.String("S"), Method: []*descriptorpb.MethodDescriptorProto{
			method("Get", descriptorpb.MethodOptions_NO_SIDE_EFFECTS.Enum()),
			method("Put", descriptorpb.MethodOptions_IDEMPOTENT.Enum()),
			method("Create", nil),
			method("Charge", nil),
		}}},
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := protoregistry.GlobalFiles.FindFileByPath(fdp.GetName()); err != nil { // registered once, under -count=N too
		if err := protoregistry.GlobalFiles.RegisterFile(fd); err != nil {
			t.Fatal(err)
		}
	}
	c := &clientInterceptor{idempotent: map[string]bool{"/goxtest.idem.S/Charge": true}}
	for m, want := range map[string]bool{
		"/goxtest.idem.S/Get":    true,
		"/goxtest.idem.S/Put":    true,
		"/goxtest.idem.S/Create": false,
		"/goxtest.idem.S/Charge": true, // listed by the client
		"/no.such.S/Get":         false,
	} {
		if got := c.isIdempotent(m); got != want {
			t.Errorf("%s idempotent = %v, want %v", m, got, want)
		}
	}
}
