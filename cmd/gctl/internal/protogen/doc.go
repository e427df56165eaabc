// Package protogen turns .proto files into Go code without protoc: it is the
// engine behind `gctl gen proto`.
//
// [Compile] parses and links .proto files in pure Go with
// github.com/bufbuild/protocompile. It reads the files named in
// [CompileOptions.Files] and their imports from the directories in
// [CompileOptions.ImportPaths] (each opened as an [os.Root], so a name can not
// escape its directory) and nothing else: the well-known types
// (google/protobuf/*.proto) come built in, and google/api/annotations.proto,
// google/api/http.proto, google/api/field_behavior.proto and
// buf/validate/validate.proto come from the descriptors that their Go
// packages (genproto's googleapis/api/annotations and protovalidate's
// generated buf/validate) register, unless a file of that name is in the import
// paths. Comments are kept (protoc's standard source info), so generated code
// carries them as doc comments. Every problem is reported, each as
// file:line:column: message, in a [CompileErrors]. As with protoc, an import
// present in several import paths is the first one's; a file to compile
// present in several is an error, since the one compiled might not be the
// one meant.
//
// [Generate] writes, for each compiled file:
//
//   - file.pb.go, the message code of protoc-gen-go: the same
//     google.golang.org/protobuf/cmd/protoc-gen-go/internal_gengo package that
//     the protoc-gen-go binary runs, fed the CodeGeneratorRequest protoc would
//     send (dependencies first, source info only for the files to generate).
//     With [GenOptions.CompilerVersion] set to protoc's version, the output is
//     byte-identical to `protoc --go_out`; without it the header reads
//     "protoc (unknown)".
//   - file_grpc.pb.go for files with services: gox's own generator of the
//     code protoc-gen-go-grpc v1.6.2 writes (SupportPackageIsVersion9, the
//     generic stream types, Unimplemented<Service>Server embedded by value).
//     Only the header differs: it names gctl as the generator.
//
// The golden test (golden_test.go) runs the real protoc, protoc-gen-go and
// protoc-gen-go-grpc on testdata/corpus and compares byte for byte; in CI they
// are installed into tools/bin (ci/tools.sh).
//
// The package does not decide where files are written or which files to
// compile (the gctl command does), and it does not write HTTP bindings or
// OpenAPI documents.
package protogen
