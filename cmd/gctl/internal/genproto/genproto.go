// Package genproto is what `gctl gen proto` writes for a set of .proto
// files — message code, gRPC code, HTTP bindings and the OpenAPI document of
// those bindings — as files, without writing them. `gctl new rpc` uses it
// too, so a new project holds exactly what `gctl gen proto` would write.
package genproto

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/goxkit/gox/cmd/gctl/internal/genfile"
	"github.com/goxkit/gox/cmd/gctl/internal/httprule"
	"github.com/goxkit/gox/cmd/gctl/internal/protogen"
)

// Options say what to generate.
type Options struct {
	// ImportPaths are protoc's -I directories, searched in order.
	ImportPaths []string
	// Files are the .proto files, named relative to an import path.
	Files []string
	// GoOpt are protoc-gen-go's options (default paths=source_relative).
	GoOpt string
	// OpenAPI is where the OpenAPI document of the HTTP bindings goes,
	// relative to the output directory; empty writes none. No document is
	// made when no service has a binding.
	OpenAPI string
	// Errors is the error body the document describes: "envelope"
	// (default) or "problem".
	Errors string
	// Title is the document's title.
	Title string
}

// Files compiles o.Files and returns every file to write, sorted by name.
// Compile errors name file:line:column.
func Files(o Options) ([]genfile.File, error) {
	if o.Errors == "" {
		o.Errors = "envelope"
	}
	if o.Errors != "envelope" && o.Errors != "problem" {
		return nil, fmt.Errorf("errors format %q: want envelope or problem", o.Errors)
	}
	compiled, err := protogen.Compile(protogen.CompileOptions{ImportPaths: o.ImportPaths, Files: o.Files})
	if err != nil {
		return nil, err
	}
	out, err := protogen.Generate(compiled, protogen.GenOptions{Parameter: o.GoOpt})
	if err != nil {
		return nil, err
	}
	var files []genfile.File
	for name, data := range out {
		files = append(files, genfile.File{Name: name, Data: data})
	}
	var fds []protoreflect.FileDescriptor
	for _, f := range compiled {
		fds = append(fds, f)
		src, err := httprule.GenerateGo(f)
		if err != nil {
			return nil, err
		}
		if src != nil {
			files = append(files, genfile.File{Name: httprule.GoFileName(f.Path()), Data: src})
		}
	}
	if o.OpenAPI != "" && hasBindings(fds) {
		b, err := httprule.OpenAPIJSON(fds, httprule.OpenAPIOptions{Title: o.Title, Problem: o.Errors == "problem"})
		if err != nil {
			return nil, err
		}
		files = append(files, genfile.File{Name: o.OpenAPI, Data: b})
	}
	slices.SortFunc(files, func(a, b genfile.File) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}

func hasBindings(fds []protoreflect.FileDescriptor) bool {
	for _, fd := range fds {
		if svcs, err := httprule.Services(fd); err == nil && len(svcs) > 0 {
			return true
		}
	}
	return false
}
