package httprule

import (
	"context"
	"testing"

	"github.com/bufbuild/protocompile"
	_ "google.golang.org/genproto/googleapis/api/annotations" // registers google/api/{annotations,http}.proto
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// compile compiles the .proto files named by path in dir, or, when sources
// is not nil, from sources (path → text), with comments kept.
func compile(t testing.TB, dir string, sources map[string]string, paths ...string) ([]protoreflect.FileDescriptor, error) {
	t.Helper()
	var src protocompile.Resolver = &protocompile.SourceResolver{ImportPaths: []string{dir}}
	if sources != nil {
		src = &protocompile.SourceResolver{Accessor: protocompile.SourceAccessorFromMap(sources)}
	}
	resolver := protocompile.ResolverFunc(func(path string) (protocompile.SearchResult, error) {
		if r, err := src.FindFileByPath(path); err == nil {
			return r, nil
		}
		fd, err := protoregistry.GlobalFiles.FindFileByPath(path)
		if err != nil {
			return protocompile.SearchResult{}, err
		}
		return protocompile.SearchResult{Desc: fd}, nil
	})
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(resolver), SourceInfoMode: protocompile.SourceInfoStandard}
	files, err := c.Compile(context.Background(), paths...)
	if err != nil {
		return nil, err
	}
	out := make([]protoreflect.FileDescriptor, len(files))
	for i, f := range files {
		out[i] = f
	}
	return out, nil
}
