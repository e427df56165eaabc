package protogen

import (
	"bytes"
	"context"
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
	"github.com/bufbuild/protocompile/linker"
	"github.com/bufbuild/protocompile/parser"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/reflect/protoregistry"

	// Register google/api/{annotations,http,field_behavior}.proto and
	// buf/validate/validate.proto in protoregistry.GlobalFiles: no Go module
	// ships them as .proto sources.
	_ "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	_ "google.golang.org/genproto/googleapis/api/annotations"
)

// CompileOptions says what to compile.
type CompileOptions struct {
	// ImportPaths are the include directories (protoc's -I), searched in
	// order. At least one is required.
	ImportPaths []string
	// Files are the files to compile, as slash-separated names relative to
	// an import path (as protoc names them: "api/greeter/v1/greeter.proto").
	Files []string
}

// registryFiles are the imports served from the descriptors registered by Go
// packages when no import path has a file of that name.
var registryFiles = []string{
	"google/api/annotations.proto",
	"google/api/http.proto",
	"google/api/field_behavior.proto",
	"buf/validate/validate.proto",
}

// CompileErrors is every problem Compile found, sorted by file and position.
// Each is a file:line:column: message line when protocompile knows the
// position (a reporter.ErrorWithPos).
type CompileErrors []error

// Error is one line per error.
func (e CompileErrors) Error() string {
	lines := make([]string, len(e))
	for i, err := range e {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives errors.Is and errors.As access to each error.
func (e CompileErrors) Unwrap() []error { return e }

// Compile parses and links opts.Files and their imports. On success the
// result holds one linked file per distinct name in opts.Files, in that order. On
// failure the error is a CompileErrors with every problem found. A name given
// twice is compiled once.
func Compile(opts CompileOptions) (linker.Files, error) {
	if len(opts.ImportPaths) == 0 {
		return nil, errors.New("protogen: no import path")
	}
	if len(opts.Files) == 0 {
		return nil, errors.New("protogen: no file to compile")
	}
	r := &dirResolver{}
	defer r.close()
	for _, dir := range opts.ImportPaths {
		root, err := os.OpenRoot(dir)
		if err != nil {
			return nil, fmt.Errorf("protogen: import path: %w", err)
		}
		r.dirs = append(r.dirs, dir)
		r.roots = append(r.roots, root)
	}
	var errs CompileErrors
	var files []string
	for _, name := range opts.Files {
		if slices.Contains(files, name) {
			continue
		}
		files = append(files, name)
		if err := r.checkInput(name); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return compile(context.Background(), files, r.find)
}

// compile runs protocompile over files with find resolving every name that
// is not a well-known type, and collects every error reported.
func compile(ctx context.Context, files []string, find func(string) (protocompile.SearchResult, error)) (linker.Files, error) {
	rec := &recorder{
		find:    protocompile.WithStandardImports(protocompile.ResolverFunc(find)).FindFileByPath,
		sources: map[string][]byte{},
		missing: map[string]error{},
	}
	linked, reported, err := compileOnce(ctx, files, rec)
	if err == nil {
		return linked, nil
	}
	// protocompile waits only for the files it was asked for: an error in
	// an import it stopped waiting on (its importer failed first) may be
	// reported late or never. Compile again with every file seen so far
	// asked for, until no new file turns up: then every error is in.
	roots := files
	for {
		known := rec.known(files)
		if len(known) == len(roots) {
			break
		}
		roots = known
		_, reported, err = compileOnce(ctx, roots, rec)
	}
	var errs CompileErrors
	seen := map[string]bool{}
	add := func(e error) {
		if msg := e.Error(); !seen[msg] {
			seen[msg] = true
			errs = append(errs, e)
		}
	}
	for _, e := range reported {
		add(e)
	}
	// An import that can not be resolved, or a file that can not be read,
	// comes back as the error itself rather than through the reporter.
	if !errors.Is(err, reporter.ErrInvalidSource) {
		add(err)
	}
	// protocompile returns only the first of those, and none at all once
	// another file reported an error: find every import of a missing file.
	for _, e := range rec.unresolvedImports() {
		add(e)
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		var pa, pb reporter.ErrorWithPos
		okA, okB := errors.As(a, &pa), errors.As(b, &pb)
		switch {
		case okA && okB:
			x, y := pa.GetPosition(), pb.GetPosition()
			if c := strings.Compare(x.Filename, y.Filename); c != 0 {
				return c
			}
			if x.Line != y.Line {
				return x.Line - y.Line
			}
			return x.Col - y.Col
		case okA:
			return -1
		case okB:
			return 1
		}
		return 0
	})
	return nil, oneErrorPerCycle(errs)
}

// compileOnce runs protocompile once; reported holds what its reporter got
// until Compile returned.
func compileOnce(ctx context.Context, files []string, rec *recorder) (linker.Files, []reporter.ErrorWithPos, error) {
	var mu sync.Mutex
	var reported []reporter.ErrorWithPos
	c := protocompile.Compiler{
		Resolver: protocompile.ResolverFunc(rec.findFile),
		// Standard source info: the comments protoc keeps, so generated
		// code gets the same doc comments.
		SourceInfoMode: protocompile.SourceInfoStandard,
		Reporter: reporter.NewReporter(func(err reporter.ErrorWithPos) error {
			mu.Lock()
			reported = append(reported, err)
			mu.Unlock()
			return nil // go on: report every error
		}, nil),
	}
	linked, err := c.Compile(ctx, files...)
	mu.Lock()
	defer mu.Unlock()
	return linked, slices.Clone(reported), err
}

// oneErrorPerCycle keeps the first error of each import cycle: protocompile
// may find the same cycle from each file in it.
func oneErrorPerCycle(errs CompileErrors) CompileErrors {
	const prefix = "cycle found in imports: "
	seen := map[string]bool{}
	out := errs[:0]
	for _, e := range errs {
		msg := e.Error()
		if i := strings.Index(msg, prefix); i >= 0 {
			files := strings.Split(msg[i+len(prefix):], " -> ")
			slices.Sort(files)
			key := strings.Join(slices.Compact(files), "\x00")
			if seen[key] {
				continue
			}
			seen[key] = true
		}
		out = append(out, e)
	}
	return out
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

// known is files followed by every other file served from source so far,
// sorted.
func (r *recorder) known(files []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(files)
	for _, name := range slices.Sorted(maps.Keys(r.sources)) {
		if !slices.Contains(files, name) {
			out = append(out, name)
		}
	}
	return out
}

// unresolvedImports is an error at each import of a name that can not be
// resolved, worded as protocompile words it. protocompile stops at the first
// failure, so some imports were never looked up: those are looked up here,
// and the imports of what they find checked in turn.
func (r *recorder) unresolvedImports() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.missing) == 0 {
		return nil
	}
	var errs []error
	todo := slices.Sorted(maps.Keys(r.sources))
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		for _, imp := range importsOf(name, r.sources[name]) {
			dep := imp.name
			if _, ok := r.sources[dep]; !ok {
				if _, ok := r.missing[dep]; !ok {
					res, err := r.find(dep)
					switch {
					case err != nil:
						r.missing[dep] = err
					case res.Source != nil:
						data, err := io.ReadAll(res.Source)
						if err != nil {
							r.missing[dep] = err
							break
						}
						r.sources[dep] = data
						todo = append(todo, dep)
					}
				}
			}
			if cause, ok := r.missing[dep]; ok {
				errs = append(errs, reporter.Error(imp.span, cause))
			}
		}
	}
	return errs
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
