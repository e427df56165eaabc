package protogen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/ast"
	"github.com/bufbuild/protocompile/parser"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/reflect/protoregistry"

	// Register google/api/{annotations,http,field_behavior}.proto and
	// buf/validate/validate.proto in protoregistry.GlobalFiles: no Go module
	// ships them as .proto sources.
	_ "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	_ "google.golang.org/genproto/googleapis/api/annotations"
)

// registryFiles are the imports served from the descriptors registered by Go
// packages when no import path has a file of that name.
var registryFiles = []string{
	"google/api/annotations.proto",
	"google/api/http.proto",
	"google/api/field_behavior.proto",
	"buf/validate/validate.proto",
}

// dirResolver finds files in import directories, each opened as an os.Root
// so that no name can reach outside it (no "..", no symlink out).
type dirResolver struct {
	dirs  []string
	roots []*os.Root
}

func (r *dirResolver) close() {
	for _, root := range r.roots {
		_ = root.Close()
	}
}

// checkInput applies protoc's rules to a file to compile: it must be a
// relative name inside an import path, and only one import path may have it
// (protoc refuses an input shadowed by an earlier import path, since the
// file compiled would not be the one meant).
func (r *dirResolver) checkInput(name string) error {
	if !fs.ValidPath(name) || name == "." {
		return fmt.Errorf("%s: not a relative slash-separated path inside an import path", name)
	}
	var in []string
	for i, root := range r.roots {
		if _, err := root.Stat(name); err == nil {
			in = append(in, path.Join(filepath.ToSlash(r.dirs[i]), name))
		}
	}
	switch {
	case len(in) == 0:
		return fmt.Errorf("%s: not found in import paths %s", name, strings.Join(r.dirs, ", "))
	case len(in) > 1:
		return fmt.Errorf("%s: found in more than one import path (%s): protoc would compile the first and shadow the others; rename one or drop an import path", name, strings.Join(in, ", "))
	}
	return nil
}

func (r *dirResolver) find(name string) (protocompile.SearchResult, error) {
	if !fs.ValidPath(name) {
		return protocompile.SearchResult{}, fmt.Errorf("%q: not a relative slash-separated path: %w", name, fs.ErrNotExist)
	}
	for i, root := range r.roots {
		data, err := readIn(root, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return protocompile.SearchResult{}, fmt.Errorf("%s: %w", path.Join(filepath.ToSlash(r.dirs[i]), name), err)
		}
		return protocompile.SearchResult{Source: bytes.NewReader(data)}, nil
	}
	if slices.Contains(registryFiles, name) {
		if fd, err := protoregistry.GlobalFiles.FindFileByPath(name); err == nil {
			return protocompile.SearchResult{Desc: fd}, nil
		}
	}
	return protocompile.SearchResult{}, notFound(fmt.Sprintf("%s: not found in import paths %s", name, strings.Join(r.dirs, ", ")))
}

// notFound is a missing file: errors.Is(err, fs.ErrNotExist) holds.
type notFound string

func (e notFound) Error() string        { return string(e) }
func (e notFound) Is(target error) bool { return target == fs.ErrNotExist }

// readIn reads name under root; a directory is an error, not a missing file.
func readIn(root *os.Root, name string) ([]byte, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, errors.New("is a directory")
	}
	return io.ReadAll(f)
}

// recorder wraps a find function to remember the sources it served and the
// names it could not resolve, so that every unresolved import is reported.
type recorder struct {
	find    func(string) (protocompile.SearchResult, error)
	mu      sync.Mutex
	sources map[string][]byte
	missing map[string]error
}

func (r *recorder) findFile(name string) (protocompile.SearchResult, error) {
	res, err := r.find(name)
	if err != nil {
		r.mu.Lock()
		r.missing[name] = err
		r.mu.Unlock()
		return res, err
	}
	if res.Source != nil {
		data, err := io.ReadAll(res.Source)
		if err != nil {
			return protocompile.SearchResult{}, err
		}
		r.mu.Lock()
		r.sources[name] = data
		r.mu.Unlock()
		res.Source = bytes.NewReader(data)
	}
	return res, nil
}

// closure reads every file that files import, directly or not, and
// returns files followed by the others read from source, sorted, with an
// error at each import that can not be resolved (worded as protocompile
// words it).
func (r *recorder) closure(files []string) ([]string, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	done := map[string]bool{}
	todo := slices.Clone(files)
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		if done[name] {
			continue
		}
		done[name] = true
		for _, imp := range importsOf(name, r.sources[name]) {
			if _, ok := r.sources[imp.name]; !ok {
				r.lookUp(imp.name)
			}
			if cause, ok := r.missing[imp.name]; ok {
				errs = append(errs, reporter.Error(imp.span, cause))
			} else if _, ok := r.sources[imp.name]; ok {
				todo = append(todo, imp.name)
			}
		}
	}
	roots := slices.Clone(files)
	for _, name := range slices.Sorted(maps.Keys(done)) {
		if _, ok := r.sources[name]; ok && !slices.Contains(files, name) {
			roots = append(roots, name)
		}
	}
	return roots, errs
}

// lookUp resolves a name protocompile did not (or not yet) ask for; r.mu is
// held.
func (r *recorder) lookUp(name string) {
	if _, ok := r.missing[name]; ok {
		return
	}
	res, err := r.find(name)
	if err == nil && res.Source != nil {
		var data []byte
		if data, err = io.ReadAll(res.Source); err == nil {
			r.sources[name] = data
		}
	}
	if err != nil {
		r.missing[name] = err
	}
}

type importDecl struct {
	name string
	span ast.SourceSpan
}

// importsOf parses src (ignoring its errors) for its import statements.
func importsOf(name string, src []byte) []importDecl {
	quiet := reporter.NewHandler(reporter.NewReporter(func(reporter.ErrorWithPos) error { return nil }, nil))
	file, _ := parser.Parse(name, bytes.NewReader(src), quiet)
	if file == nil {
		return nil
	}
	var imps []importDecl
	for _, decl := range file.Decls {
		if imp, ok := decl.(*ast.ImportNode); ok && imp.Name != nil {
			imps = append(imps, importDecl{imp.Name.AsString(), file.NodeInfo(imp.Name)})
		}
	}
	return imps
}
