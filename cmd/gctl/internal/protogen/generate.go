package protogen

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bufbuild/protocompile/linker"
	"google.golang.org/protobuf/cmd/protoc-gen-go/internal_gengo"
	gogen "google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// GenOptions says how to generate.
type GenOptions struct {
	// Parameter is the option string protoc-gen-go accepts
	// (--go_opt): "paths=source_relative", "paths=import", "module=PREFIX",
	// "Mfile.proto=import/path", comma-separated. Empty means
	// "paths=source_relative": each output next to its .proto.
	Parameter string
	// CompilerVersion goes into the header of .pb.go and _grpc.pb.go files
	// as protoc's version. Nil writes "protoc (unknown)".
	CompilerVersion *pluginpb.Version
	// NoGRPC skips the _grpc.pb.go files.
	NoGRPC bool
}

// Generate writes the Go code for files (as Compile returned them): the
// protoc-gen-go message code (name.pb.go) of each, and the gRPC service code
// (name_grpc.pb.go) of each with a service. The map's keys are output paths,
// slash-separated, as protoc would write them under --go_out.
func Generate(files linker.Files, opts GenOptions) (map[string][]byte, error) {
	req, err := Request(files, opts)
	if err != nil {
		return nil, err
	}
	gen, err := gogen.Options{ParamFunc: param}.New(req)
	if err != nil {
		return nil, fmt.Errorf("protogen: %w", err)
	}
	for _, f := range gen.Files {
		if !f.Generate {
			continue
		}
		internal_gengo.GenerateFile(gen, f)
		if !opts.NoGRPC {
			generateGRPC(gen, f)
		}
	}
	gen.SupportedFeatures = internal_gengo.SupportedFeatures
	gen.SupportedEditionsMinimum = internal_gengo.SupportedEditionsMinimum
	gen.SupportedEditionsMaximum = internal_gengo.SupportedEditionsMaximum
	resp := gen.Response()
	if resp.Error != nil {
		return nil, errors.New("protogen: " + resp.GetError())
	}
	out := make(map[string][]byte, len(resp.File))
	for _, f := range resp.File {
		out[f.GetName()] = []byte(f.GetContent())
	}
	return out, nil
}

// Request builds the CodeGeneratorRequest protoc would send a plugin for
// files: every file they need, dependencies first, with source info (the
// comments) only on the files to generate.
func Request(files linker.Files, opts GenOptions) (*pluginpb.CodeGeneratorRequest, error) {
	if len(files) == 0 {
		return nil, errors.New("protogen: no file to generate")
	}
	param := opts.Parameter
	if strings.TrimSpace(param) == "" {
		param = "paths=source_relative"
	}
	req := &pluginpb.CodeGeneratorRequest{
		Parameter:       proto.String(param),
		CompilerVersion: opts.CompilerVersion,
	}
	generate := map[string]bool{}
	for _, f := range files {
		if !generate[f.Path()] {
			generate[f.Path()] = true
			req.FileToGenerate = append(req.FileToGenerate, f.Path())
		}
	}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := range imports.Len() {
			add(imports.Get(i).FileDescriptor)
		}
		var fdp *descriptorpb.FileDescriptorProto
		if r, ok := fd.(linker.Result); ok {
			// Compiled from source: protocompile's own descriptor proto,
			// with the source info protoc would send.
			fdp = proto.Clone(r.FileDescriptorProto()).(*descriptorpb.FileDescriptorProto)
		} else {
			if u, ok := fd.(unwrapper); ok { // protocompile's wrapper of a registry file
				fd = u.Unwrap()
			}
			fdp = protodesc.ToFileDescriptorProto(fd)
		}
		if !generate[fd.Path()] {
			fdp.SourceCodeInfo = nil // protoc sends source info only for files to generate
		}
		req.ProtoFile = append(req.ProtoFile, fdp)
	}
	for _, f := range files {
		add(f)
	}
	return req, nil
}

// unwrapper is implemented by protocompile's wrappers of descriptors it did
// not compile (the well-known types, the registry's files).
type unwrapper interface {
	Unwrap() protoreflect.FileDescriptor
}

// param takes the parameters that are neither protogen's (paths, module,
// M..., annotate_code) nor unknown to both plugins.
func param(name, value string) error {
	if name == "require_unimplemented_servers" { // protoc-gen-go-grpc's
		if value != "true" {
			return errors.New("require_unimplemented_servers=" + value + ": gctl always requires Unimplemented<Service>Server")
		}
		return nil
	}
	return fmt.Errorf("unknown parameter %q", name)
}
